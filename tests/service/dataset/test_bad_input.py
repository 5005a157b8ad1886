"""Every RPC of the dataset service answers bad input with the right code and field."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import field_mask_pb2

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from tests.service.dataset.factories import create_dataset, create_sequence
from tests.support.errors import expect_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
MISSING = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(("dataset", "field"), [
    (pb.Dataset(task_type=common_pb2.TASK_TYPE_BBOXES), "dataset.name"),
    (pb.Dataset(name="bad name!", task_type=common_pb2.TASK_TYPE_BBOXES), "dataset.name"),
    (pb.Dataset(name="x" * 101, task_type=common_pb2.TASK_TYPE_BBOXES), "dataset.name"),
    (pb.Dataset(name="ok"), "dataset.task_type"),
    (pb.Dataset(name="ok", task_type=99), "dataset.task_type"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES, metadata_json="{"),
     "dataset.metadata_json"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES, metadata_json="[1]"),
     "dataset.metadata_json"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                description="d" * 10_001), "dataset.description"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(categories=[
                    pb.Category(id=1, name="a"), pb.Category(id=1, name="b")])),
     "dataset.task_attributes.categories[1].id"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(categories=[pb.Category(id=-1, name="a")])),
     "dataset.task_attributes.categories[0].id"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(categories=[pb.Category(id=1, name="")])),
     "dataset.task_attributes.categories[0].name"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(categories=[
                    pb.Category(id=1, name="a", color="red")])),
     "dataset.task_attributes.categories[0].color"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(categories=[pb.Category(id=1, name="a",
                    attributes=[pb.AttributeDefinition(
                        name="kind", input_type=pb.ATTRIBUTE_INPUT_TYPE_SELECT)])])),
     "dataset.task_attributes.categories[0].attributes[0].values"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(categories=[pb.Category(id=1, name="a",
                    attributes=[pb.AttributeDefinition(name="k")])])),
     "dataset.task_attributes.categories[0].attributes[0].input_type"),
    (pb.Dataset(name="ok", task_type=common_pb2.TASK_TYPE_BBOXES,
                task_attributes=pb.TaskAttributes(sample_attributes=[
                    pb.AttributeDefinition(name="n", input_type=pb.ATTRIBUTE_INPUT_TYPE_NUMBER,
                                           min=5, max=1)])),
     "dataset.task_attributes.sample_attributes[0].max"),
])
async def test_create_dataset_names_the_bad_field(dataset_stub, dataset, field):
    await expect_error(dataset_stub.CreateDataset(pb.CreateDatasetRequest(dataset=dataset)),
                       INVALID, field)


async def test_dataset_reads_and_writes_on_missing_or_bad_ids(dataset_stub):
    await expect_error(dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=MISSING)),
                       NOT_FOUND)
    await expect_error(dataset_stub.GetDataset(pb.GetDatasetRequest()), NOT_FOUND)
    await expect_error(dataset_stub.ListDatasets(pb.ListDatasetsRequest(page_size=-1)),
                       INVALID, "page_size")
    await expect_error(dataset_stub.ListDatasets(pb.ListDatasetsRequest(page_size=5000)),
                       INVALID, "page_size")
    await expect_error(dataset_stub.ListDatasets(pb.ListDatasetsRequest(page_token="garbage")),
                       INVALID, "page_token")
    await expect_error(dataset_stub.ListDatasets(pb.ListDatasetsRequest(task_type=77)),
                       INVALID, "task_type")
    await expect_error(dataset_stub.DeleteDataset(pb.DeleteDatasetRequest(dataset_id=MISSING)),
                       NOT_FOUND)
    dataset = await create_dataset(dataset_stub)
    mask = field_mask_pb2.FieldMask
    await expect_error(dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=dataset.id, name="x"))), INVALID, "update_mask")
    await expect_error(dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=dataset.id), update_mask=mask(paths=["task_type"]))),
        INVALID, "update_mask")
    await expect_error(dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=dataset.id, name="no way"), update_mask=mask(paths=["name"]))),
        INVALID, "dataset.name")
    await expect_error(dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=pb.Dataset(id=MISSING, name="x"), update_mask=mask(paths=["name"]))), NOT_FOUND)


@pytest.mark.parametrize(("attributes", "field"), [
    ("", "sample.attributes_json"),
    ("not json", "sample.attributes_json"),
    ("{}", "sample.attributes_json.frames"),
    ('{"frames": []}', "sample.attributes_json.frames"),
    ('{"frames": [{"image": {}}]}', "sample.attributes_json.frames[0].image.url"),
    ('{"frames": [{"image": {"url": "a"}}, 3]}', "sample.attributes_json.frames[1]"),
    ('{"frames": [{"image": {"url": "a"}, "timestamp": "soon"}]}',
     "sample.attributes_json.frames[0].timestamp"),
    (json.dumps({"frames": [{"image": {"url": "a"}}] * 100_001}),
     "sample.attributes_json.frames"),
    ("[" * 100 + "]" * 100, "sample.attributes_json"),
    ('{"a":' * 40 + "1" + "}" * 40, "sample.attributes_json" + ".a" * 32),
])
async def test_create_sample_names_the_bad_field(dataset_stub, attributes, field):
    dataset = await create_dataset(dataset_stub)
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="s", attributes_json=attributes))), INVALID, field)


@pytest.mark.parametrize(("task_type", "attributes", "field"), [
    (common_pb2.TASK_TYPE_BBOXES, {"frames": []}, "sample.attributes_json.image"),
    (common_pb2.TASK_TYPE_POINTCLOUD_CUBOID, {"pcd": {"url": "p", "type": "mp3"}},
     "sample.attributes_json.pcd.type"),
    (common_pb2.TASK_TYPE_POINTCLOUD_CUBOID,
     {"pcd": {"url": "p"}, "ego_pose": {"position": {"x": 1}}},
     "sample.attributes_json.ego_pose.position"),
    (common_pb2.TASK_TYPE_POINTCLOUD_CUBOID,
     {"pcd": {"url": "p"}, "images": [{"url": "i", "intrinsics": {"intrinsic_matrix": [[1]]}}]},
     "sample.attributes_json.images[0].intrinsics.intrinsic_matrix"),
    (common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE,
     {"sensors": [{"name": "a", "task_type": "bboxes", "attributes": {}}]},
     "sample.attributes_json.sensors[0].task_type"),
    (common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE,
     {"sensors": [{"name": "a", "task_type": "image-vector-sequence",
                   "attributes": {"frames": [{"image": {"url": "u"}}]}},
                  {"name": "a", "task_type": "image-vector-sequence",
                   "attributes": {"frames": [{"image": {"url": "u"}}]}}]},
     "sample.attributes_json.sensors[1].name"),
])
async def test_sample_attributes_must_fit_the_task_type(dataset_stub, task_type, attributes,
                                                       field):
    dataset = await create_dataset(dataset_stub, task_type=task_type)
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="s", attributes_json=json.dumps(attributes)))),
        INVALID, field)


async def test_sample_rpcs_reject_bad_requests(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    sample = await create_sequence(dataset_stub, dataset.id, "seq")
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=MISSING, name="s", attributes_json='{"frames": [{"image": {"url": "u"}}]}'))),
        NOT_FOUND)
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, attributes_json='{"frames": [{"image": {"url": "u"}}]}'))),
        INVALID, "sample.name")
    await expect_error(dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id)), INVALID, "samples")
    await expect_error(dataset_stub.GetSample(pb.GetSampleRequest(sample_id=MISSING)), NOT_FOUND)
    for request, field in [
        (pb.ListSamplesRequest(dataset_id=dataset.id, order_by="color"), "order_by"),
        (pb.ListSamplesRequest(dataset_id=dataset.id, order_by="name sideways"), "order_by"),
        (pb.ListSamplesRequest(dataset_id=dataset.id, metadata_filter_json="[]"),
         "metadata_filter_json"),
        (pb.ListSamplesRequest(dataset_id=dataset.id, metadata_filter_json='{"a": [1]}'),
         "metadata_filter_json.a"),
        (pb.ListSamplesRequest(dataset_id=dataset.id, as_of_revision=-1), "as_of_revision"),
        (pb.ListSamplesRequest(dataset_id=dataset.id, page_token="%%%"), "page_token"),
    ]:
        await expect_error(dataset_stub.ListSamples(request), INVALID, field)
    await expect_error(dataset_stub.ListSamples(pb.ListSamplesRequest(dataset_id=MISSING)),
                       NOT_FOUND)
    mask = field_mask_pb2.FieldMask
    await expect_error(dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=sample.id, attributes_json='{"frames": 3}'),
        update_mask=mask(paths=["attributes_json"]))), INVALID, "sample.attributes_json.frames")
    await expect_error(dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=sample.id), update_mask=mask(paths=["dataset_id"]))),
        INVALID, "update_mask")
    await expect_error(dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=MISSING, priority=1), update_mask=mask(paths=["priority"]))),
        NOT_FOUND)
    await expect_error(dataset_stub.DeleteSample(pb.DeleteSampleRequest(sample_id=MISSING)),
                       NOT_FOUND)
    await expect_error(dataset_stub.GetSampleFrames(pb.GetSampleFramesRequest(
        sample_id=MISSING)), NOT_FOUND)
    await expect_error(dataset_stub.GetSampleFrames(pb.GetSampleFramesRequest(
        sample_id=sample.id, sensor="lidar")), INVALID, "sensor")
    unchanged = await dataset_stub.GetSample(pb.GetSampleRequest(sample_id=sample.id))
    assert unchanged.etag == sample.etag


async def test_label_set_and_collaborator_rpcs_reject_bad_requests(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    await expect_error(dataset_stub.CreateLabelSet(pb.CreateLabelSetRequest(
        label_set=pb.LabelSet(dataset_id=dataset.id, name="has space"))),
        INVALID, "label_set.name")
    await expect_error(dataset_stub.CreateLabelSet(pb.CreateLabelSetRequest(
        label_set=pb.LabelSet(dataset_id=MISSING, name="m"))), NOT_FOUND)
    await expect_error(dataset_stub.GetLabelSet(pb.GetLabelSetRequest(
        dataset_id=dataset.id, name="nope")), NOT_FOUND)
    await expect_error(dataset_stub.ListLabelSets(pb.ListLabelSetsRequest(dataset_id=MISSING)),
                       NOT_FOUND)
    await expect_error(dataset_stub.DeleteLabelSet(pb.DeleteLabelSetRequest(
        dataset_id=dataset.id, name="nope")), NOT_FOUND)
    await expect_error(dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="u"))),
        INVALID, "collaborator.role")
    await expect_error(dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, role=pb.ROLE_VIEWER))),
        INVALID, "collaborator.user")
    await expect_error(dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=MISSING, user="u", role=pb.ROLE_VIEWER))),
        NOT_FOUND)
    await expect_error(dataset_stub.ListCollaborators(pb.ListCollaboratorsRequest(
        dataset_id=dataset.id, page_size=-3)), INVALID, "page_size")
    await expect_error(dataset_stub.UpdateCollaborator(pb.UpdateCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="ghost", role=pb.ROLE_ADMIN),
        update_mask=field_mask_pb2.FieldMask(paths=["role"]))), NOT_FOUND)
    await expect_error(dataset_stub.UpdateCollaborator(pb.UpdateCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="local", role=42),
        update_mask=field_mask_pb2.FieldMask(paths=["role"]))), INVALID, "collaborator.role")
    await expect_error(dataset_stub.RemoveCollaborator(pb.RemoveCollaboratorRequest(
        dataset_id=dataset.id, user="ghost")), NOT_FOUND)
