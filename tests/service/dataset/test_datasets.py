"""Datasets over gRPC: create, read, list, update by field mask, delete."""

from __future__ import annotations

import json

import grpc
from google.protobuf import field_mask_pb2, struct_pb2

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from tests.service.dataset.factories import categories, create_dataset, unique_name
from tests.support.errors import error_reason, expect_error

USER_A = (("x-test-user", "alice"),)
USER_B = (("x-test-user", "bob"),)
PAGER = (("x-test-user", "pager"),)


async def test_create_dataset_returns_it_with_owner_and_default_label_set(dataset_stub):
    created = await dataset_stub.CreateDataset(pb.CreateDatasetRequest(dataset=pb.Dataset(
        name="street-scenes", task_type=common_pb2.TASK_TYPE_POINTCLOUD_CUBOID_SEQUENCE,
        description="drives", task_attributes=categories(), metadata_json='{"site": "berlin"}',
        settings=pb.DatasetSettings(interpolation_mode=common_pb2.INTERPOLATION_MODE_TIMESTAMP),
    )), metadata=USER_A)
    assert created.owner == "alice"
    assert created.etag and created.create_time.seconds > 0
    fetched = await dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=created.id),
                                            metadata=USER_A)
    assert fetched.name == "street-scenes"
    assert fetched.caller_role == pb.ROLE_ADMIN
    assert fetched.task_type == common_pb2.TASK_TYPE_POINTCLOUD_CUBOID_SEQUENCE
    assert [c.name for c in fetched.task_attributes.categories] == ["car", "person"]
    assert fetched.task_attributes.categories[0].attributes[1].values == ["red", "blue"]
    assert fetched.settings.interpolation_mode == common_pb2.INTERPOLATION_MODE_TIMESTAMP
    assert json.loads(fetched.metadata_json) == {"site": "berlin"}
    sets = await dataset_stub.ListLabelSets(pb.ListLabelSetsRequest(dataset_id=created.id),
                                            metadata=USER_A)
    assert [(s.name, s.is_default) for s in sets.label_sets] == [("ground-truth", True)]
    collaborators = await dataset_stub.ListCollaborators(
        pb.ListCollaboratorsRequest(dataset_id=created.id), metadata=USER_A)
    assert [(c.user, c.role) for c in collaborators.collaborators] == [("alice", pb.ROLE_ADMIN)]


async def test_default_value_of_an_attribute_round_trips(dataset_stub):
    definition = pb.AttributeDefinition(name="speed", input_type=pb.ATTRIBUTE_INPUT_TYPE_NUMBER,
                                        min=0, max=50, step=0.5,
                                        default_value=struct_pb2.Value(number_value=10))
    created = await dataset_stub.CreateDataset(pb.CreateDatasetRequest(dataset=pb.Dataset(
        name=unique_name(), task_type=common_pb2.TASK_TYPE_BBOXES,
        task_attributes=pb.TaskAttributes(categories=[
            pb.Category(id=0, name="car", attributes=[definition])]))))
    stored = created.task_attributes.categories[0].attributes[0]
    assert (stored.min, stored.max, stored.step) == (0, 50, 0.5)
    assert stored.default_value.number_value == 10


async def test_retried_create_with_request_id_creates_once(dataset_stub):
    request = pb.CreateDatasetRequest(dataset=pb.Dataset(
        name=unique_name(), task_type=common_pb2.TASK_TYPE_BBOXES), request_id="req-1")
    first = await dataset_stub.CreateDataset(request, metadata=USER_A)
    second = await dataset_stub.CreateDataset(request, metadata=USER_A)
    assert first.id == second.id
    listed = await dataset_stub.ListDatasets(pb.ListDatasetsRequest(owner="alice"),
                                             metadata=USER_A)
    assert [d.id for d in listed.datasets].count(first.id) == 1


async def test_name_is_unique_per_owner(dataset_stub):
    name = unique_name()
    request = pb.CreateDatasetRequest(dataset=pb.Dataset(
        name=name, task_type=common_pb2.TASK_TYPE_BBOXES))
    await dataset_stub.CreateDataset(request, metadata=USER_A)
    await expect_error(dataset_stub.CreateDataset(request, metadata=USER_A),
                       grpc.StatusCode.ALREADY_EXISTS)
    other = await dataset_stub.CreateDataset(request, metadata=USER_B)
    assert other.owner == "bob"


async def test_list_pages_through_every_dataset_once_with_filters(dataset_stub):
    for i in range(7):
        await dataset_stub.CreateDataset(pb.CreateDatasetRequest(dataset=pb.Dataset(
            name=f"paging-{i}", task_type=common_pb2.TASK_TYPE_BBOXES if i % 2
            else common_pb2.TASK_TYPE_VECTOR)), metadata=PAGER)
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await dataset_stub.ListDatasets(
            pb.ListDatasetsRequest(owner="pager", page_size=3, page_token=token), metadata=PAGER)
        seen += [d.name for d in page.datasets]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == [f"paging-{i}" for i in range(7)]
    boxes = await dataset_stub.ListDatasets(pb.ListDatasetsRequest(
        owner="pager", task_type=common_pb2.TASK_TYPE_BBOXES), metadata=PAGER)
    assert sorted(d.name for d in boxes.datasets) == ["paging-1", "paging-3", "paging-5"]
    named = await dataset_stub.ListDatasets(pb.ListDatasetsRequest(owner="pager",
                                                                   name_contains="-4"),
                                            metadata=PAGER)
    assert [d.name for d in named.datasets] == ["paging-4"]


async def test_update_changes_only_the_masked_fields(dataset_stub):
    created = await create_dataset(dataset_stub, description="before")
    updated = await dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=created.id, description="after", name="ignored-not-in-mask",
                           etag=created.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["description"])))
    assert updated.description == "after"
    assert updated.name == created.name
    assert updated.etag != created.etag
    assert updated.task_type == created.task_type


async def test_update_with_stale_etag_is_aborted_and_changes_nothing(dataset_stub):
    created = await create_dataset(dataset_stub, description="v1")
    await dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=created.id, description="v2", etag=created.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["description"])))
    error = await expect_error(dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=created.id, description="v3", etag=created.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["description"]))),
        grpc.StatusCode.ABORTED)
    assert error_reason(error) == "STALE_ETAG"
    fetched = await dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=created.id))
    assert fetched.description == "v2"


async def test_update_categories_and_settings(dataset_stub):
    created = await create_dataset(dataset_stub)
    attributes = pb.TaskAttributes(categories=[pb.Category(id=9, name="truck")])
    updated = await dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=created.id, task_attributes=attributes,
                           settings=pb.DatasetSettings(extrapolate_cuboid_position=True)),
        update_mask=field_mask_pb2.FieldMask(paths=["task_attributes", "settings"])))
    assert [c.name for c in updated.task_attributes.categories] == ["truck"]
    assert updated.settings.extrapolate_cuboid_position


async def test_delete_dataset_removes_it_and_its_samples(dataset_stub):
    created = await create_dataset(dataset_stub)
    sample = await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=created.id, name="s",
        attributes_json='{"frames": [{"image": {"url": "u"}}]}')))
    await expect_error(dataset_stub.DeleteDataset(
        pb.DeleteDatasetRequest(dataset_id=created.id, etag="stale")), grpc.StatusCode.ABORTED)
    await dataset_stub.DeleteDataset(pb.DeleteDatasetRequest(dataset_id=created.id))
    await expect_error(dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=created.id)),
                       grpc.StatusCode.NOT_FOUND)
    await expect_error(dataset_stub.GetSample(pb.GetSampleRequest(sample_id=sample.id)),
                       grpc.StatusCode.NOT_FOUND)
    await expect_error(dataset_stub.DeleteDataset(pb.DeleteDatasetRequest(dataset_id=created.id)),
                       grpc.StatusCode.NOT_FOUND)
