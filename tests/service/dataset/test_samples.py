"""Samples over gRPC: every sample kind, batches, paging, filters, revisions, frames."""

from __future__ import annotations

import json

import grpc
from google.protobuf import field_mask_pb2

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from tests.service.dataset.factories import (
    create_dataset,
    create_sequence,
    image_attributes,
    sequence_attributes,
)
from tests.support.errors import expect_error, field_violations

POINTCLOUD_FRAME = {
    "pcd": {"url": "https://example.com/0.pcd", "type": "pcd"},
    "ego_pose": {"position": {"x": 1, "y": 2, "z": 0},
                 "heading": {"qx": 0, "qy": 0, "qz": 0, "qw": 1}},
    "images": [{
        "name": "front", "url": "https://example.com/front.jpg",
        "intrinsics": {"intrinsic_matrix": [[1000, 0, 640], [0, 1000, 360], [0, 0, 1]]},
        "extrinsics": {"translation": {"x": 0, "y": 0, "z": 1.5},
                       "rotation": {"qx": 0, "qy": 0, "qz": 0, "qw": 1}},
    }],
}


async def test_every_sample_kind_is_accepted_with_its_frames(dataset_stub):
    cases = [
        (common_pb2.TASK_TYPE_BBOXES, {"image": {"url": "a.jpg"}}, 1),
        (common_pb2.TASK_TYPE_POINTCLOUD_CUBOID, POINTCLOUD_FRAME, 1),
        (common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE, json.loads(sequence_attributes(3)), 3),
        (common_pb2.TASK_TYPE_POINTCLOUD_CUBOID_SEQUENCE,
         {"frames": [{**POINTCLOUD_FRAME, "timestamp": i} for i in range(4)]}, 4),
        (common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE, {"sensors": [
            {"name": "lidar", "task_type": "pointcloud-cuboid-sequence",
             "attributes": {"frames": [POINTCLOUD_FRAME] * 2}},
            {"name": "camera", "task_type": "image-vector-sequence",
             "attributes": json.loads(sequence_attributes(2))},
        ]}, 2),
    ]
    for task_type, attributes, frames in cases:
        dataset = await create_dataset(dataset_stub, task_type=task_type)
        sample = await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
            dataset_id=dataset.id, name="s1", attributes_json=json.dumps(attributes),
            metadata_json='{"weather": "rain"}', priority=3, assigned_labeler="lea")))
        assert sample.frame_count == frames
        assert json.loads(sample.attributes_json) == attributes
        assert sample.assigned_labeler == "lea"
        got = await dataset_stub.GetSampleFrames(pb.GetSampleFramesRequest(sample_id=sample.id))
        assert len(got.frames) == frames


async def test_sequence_frames_carry_names_timestamps_and_urls(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    sample = await create_sequence(dataset_stub, dataset.id, "seq", frames=3)
    got = await dataset_stub.GetSampleFrames(pb.GetSampleFramesRequest(sample_id=sample.id))
    assert got.task_type == common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE
    assert [(f.index, f.name, f.timestamp, f.url) for f in got.frames] == [
        (i, f"f{i}", 1000 + 40 * i, f"https://example.com/f{i}.jpg") for i in range(3)
    ]


async def test_multisensor_frames_by_sensor(dataset_stub):
    dataset = await create_dataset(dataset_stub,
                                   task_type=common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE)
    attributes = {"sensors": [
        {"name": "lidar", "task_type": "pointcloud-cuboid-sequence",
         "attributes": {"frames": [POINTCLOUD_FRAME] * 3}},
        {"name": "camera", "task_type": "image-vector-sequence",
         "attributes": json.loads(sequence_attributes(5))},
    ]}
    sample = await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="ms", attributes_json=json.dumps(attributes))))
    camera = await dataset_stub.GetSampleFrames(
        pb.GetSampleFramesRequest(sample_id=sample.id, sensor="camera"))
    assert len(camera.frames) == 5
    assert camera.task_type == common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE
    await expect_error(dataset_stub.GetSampleFrames(
        pb.GetSampleFramesRequest(sample_id=sample.id, sensor="radar")),
        grpc.StatusCode.INVALID_ARGUMENT, "sensor")


async def test_batch_create_is_all_or_nothing(dataset_stub):
    dataset = await create_dataset(dataset_stub, task_type=common_pb2.TASK_TYPE_BBOXES)
    good = [pb.Sample(name=f"img-{i}", attributes_json=image_attributes()) for i in range(5)]
    bad = pb.Sample(name="broken", attributes_json='{"image": {}}')
    error = await expect_error(dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=[*good[:3], bad, *good[3:]])),
        grpc.StatusCode.INVALID_ARGUMENT)
    assert "samples[3].attributes_json.image.url" in field_violations(error)
    listed = await dataset_stub.ListSamples(pb.ListSamplesRequest(dataset_id=dataset.id))
    assert list(listed.samples) == []
    created = await dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=good))
    assert [s.name for s in created.samples] == [f"img-{i}" for i in range(5)]


async def test_batch_of_two_thousand_samples(dataset_stub):
    dataset = await create_dataset(dataset_stub, task_type=common_pb2.TASK_TYPE_BBOXES)
    samples = [pb.Sample(name=f"img-{i:05d}", attributes_json=image_attributes(f"u{i}"))
               for i in range(2000)]
    created = await dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=samples, request_id="bulk-1"))
    assert len(created.samples) == 2000
    again = await dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=samples, request_id="bulk-1"))
    assert {s.id for s in again.samples} == {s.id for s in created.samples}
    fetched = await dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=dataset.id))
    assert fetched.sample_count == 2000


async def test_duplicate_names_are_rejected(dataset_stub):
    dataset = await create_dataset(dataset_stub, task_type=common_pb2.TASK_TYPE_BBOXES)
    sample = pb.Sample(dataset_id=dataset.id, name="same", attributes_json=image_attributes())
    await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=sample))
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=sample)),
                       grpc.StatusCode.ALREADY_EXISTS)
    await expect_error(dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=[pb.Sample(name="x", attributes_json=image_attributes()),
                                        pb.Sample(name="x", attributes_json=image_attributes())])),
        grpc.StatusCode.INVALID_ARGUMENT, "samples[1].name")


async def _all_names(stub, **kwargs) -> list[str]:
    names: list[str] = []
    token = ""
    while True:
        page = await stub.ListSamples(pb.ListSamplesRequest(page_token=token, **kwargs))
        names += [s.name for s in page.samples]
        token = page.next_page_token
        if not token:
            return names


async def test_list_sorts_filters_and_pages(dataset_stub):
    dataset = await create_dataset(dataset_stub, task_type=common_pb2.TASK_TYPE_BBOXES)
    samples = [
        pb.Sample(name=f"s{i:02d}", attributes_json=image_attributes(), priority=i % 4,
                  metadata_json=json.dumps({"weather": "rain" if i % 3 == 0 else "sun",
                                            "night": i % 2 == 0, "camera": i % 5}),
                  assigned_labeler="lea" if i < 4 else "")
        for i in range(23)
    ]
    await dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=samples))
    by_name = await _all_names(dataset_stub, dataset_id=dataset.id, page_size=5,
                               order_by="name")
    assert by_name == [f"s{i:02d}" for i in range(23)]
    by_priority = await _all_names(dataset_stub, dataset_id=dataset.id, page_size=4,
                                   order_by="priority desc")
    expected = sorted(range(23), key=lambda i: -(i % 4))
    assert sorted(by_priority) == sorted(f"s{i:02d}" for i in range(23))
    priorities = [int(n[1:]) % 4 for n in by_priority]
    assert priorities == sorted(priorities, reverse=True)
    assert len(by_priority) == len(expected)
    rain = await _all_names(dataset_stub, dataset_id=dataset.id, page_size=2,
                            metadata_filter_json='{"weather": "rain", "night": true}')
    assert sorted(rain) == [f"s{i:02d}" for i in range(23) if i % 3 == 0 and i % 2 == 0]
    camera = await _all_names(dataset_stub, dataset_id=dataset.id,
                              metadata_filter_json='{"camera": 2}')
    assert sorted(camera) == [f"s{i:02d}" for i in range(23) if i % 5 == 2]
    assert sorted(await _all_names(dataset_stub, dataset_id=dataset.id, name_contains="s1")) == [
        f"s{i:02d}" for i in range(10, 20)]
    assert sorted(await _all_names(dataset_stub, dataset_id=dataset.id,
                                   assigned_labeler="lea")) == ["s00", "s01", "s02", "s03"]


async def test_listing_as_of_a_revision_shows_the_samples_as_they_were(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    first = await create_sequence(dataset_stub, dataset.id, "a", metadata_json='{"v": 1}')
    await create_sequence(dataset_stub, dataset.id, "b")
    snapshot = (await dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=dataset.id))).revision
    await dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=first.id, metadata_json='{"v": 2}', name="a-renamed"),
        update_mask=field_mask_pb2.FieldMask(paths=["metadata_json", "name"])))
    await create_sequence(dataset_stub, dataset.id, "c")
    second = (await dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, order_by="name"))).samples
    await dataset_stub.DeleteSample(pb.DeleteSampleRequest(sample_id=second[1].id))

    then = await dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, as_of_revision=snapshot, order_by="name"))
    assert [(s.name, json.loads(s.metadata_json)) for s in then.samples] == [
        ("a", {"v": 1}), ("b", {})]
    assert then.revision == snapshot
    now = await dataset_stub.ListSamples(pb.ListSamplesRequest(dataset_id=dataset.id,
                                                               order_by="name"))
    assert [s.name for s in now.samples] == ["a-renamed", "c"]
    frames_then = await dataset_stub.GetSampleFrames(pb.GetSampleFramesRequest(
        sample_id=second[1].id, as_of_revision=snapshot))
    assert len(frames_then.frames) == 5


async def test_paging_keeps_the_first_pages_revision(dataset_stub):
    dataset = await create_dataset(dataset_stub, task_type=common_pb2.TASK_TYPE_BBOXES)
    await dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id,
        samples=[pb.Sample(name=f"p{i}", attributes_json=image_attributes()) for i in range(6)]))
    first = await dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, page_size=3, order_by="name"))
    await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="p9-late", attributes_json=image_attributes())))
    rest = await dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, page_size=10, order_by="name",
        page_token=first.next_page_token))
    assert [s.name for s in [*first.samples, *rest.samples]] == [f"p{i}" for i in range(6)]
    assert rest.revision == first.revision


async def test_update_sample_by_mask_with_etag(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    sample = await create_sequence(dataset_stub, dataset.id, "seq", frames=2)
    updated = await dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=sample.id, priority=9, assigned_reviewer="rita", etag=sample.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["priority", "assigned_reviewer"])))
    assert (updated.priority, updated.assigned_reviewer, updated.name) == (9, "rita", "seq")
    assert updated.revision > sample.revision
    await expect_error(dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=sample.id, priority=1, etag=sample.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["priority"]))), grpc.StatusCode.ABORTED)
    longer = await dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=sample.id, attributes_json=sequence_attributes(7)),
        update_mask=field_mask_pb2.FieldMask(paths=["attributes_json"])))
    assert longer.frame_count == 7
    assert (await dataset_stub.GetSample(pb.GetSampleRequest(sample_id=sample.id))).priority == 9


async def test_delete_sample(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    sample = await create_sequence(dataset_stub, dataset.id, "seq")
    await expect_error(dataset_stub.DeleteSample(pb.DeleteSampleRequest(
        sample_id=sample.id, etag="0")), grpc.StatusCode.ABORTED)
    await dataset_stub.DeleteSample(pb.DeleteSampleRequest(sample_id=sample.id,
                                                           etag=sample.etag))
    await expect_error(dataset_stub.GetSample(pb.GetSampleRequest(sample_id=sample.id)),
                       grpc.StatusCode.NOT_FOUND)
    again = await create_sequence(dataset_stub, dataset.id, "seq")
    assert again.id != sample.id
