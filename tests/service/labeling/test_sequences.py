"""Sequence labels over gRPC: keyframes kept, the rest dropped, tracks checked."""

from __future__ import annotations

import json
from typing import Any

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.labeling.v1 import labeling_pb2 as pb
from tests.service.labeling.helpers import Stack
from tests.support.errors import expect_error

FIELD = "label.attributes_json"


def _box(track: int, keyframe: bool, category: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": track, "track_id": track, "is_keyframe": keyframe, "category_id": category,
            "type": "bbox", "points": [[0, 0], [5, 5]], **extra}


async def test_keyframes_kept_interpolated_frames_dropped(stack: Stack) -> None:
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    (sample,) = await stack.create_samples(dataset, frames=4)
    removed = {"track_id": 1, "category_id": 1, "type": "bbox", "is_keyframe": True,
               "removed": True}
    document = {"format_version": "0.2", "frames": [
        {"timestamp": 0, "annotations": [_box(1, True)]},
        {"annotations": [_box(1, False)]},
        {"annotations": [removed]},
    ]}
    saved = await stack.save(sample.id, document)
    frames = json.loads(saved.attributes_json)["frames"]
    assert len(frames) == 4  # one entry per sample frame
    assert [len(f["annotations"]) for f in frames] == [1, 0, 1, 0]
    assert frames[2]["annotations"][0]["removed"] is True
    got = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
    assert json.loads(got.attributes_json) == json.loads(saved.attributes_json)


async def test_track_changing_category_is_rejected_with_its_path(stack: Stack) -> None:
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    (sample,) = await stack.create_samples(dataset, frames=3)
    document = {"frames": [{"annotations": [_box(1, True)]},
                           {"annotations": []},
                           {"annotations": [_box(1, True, category=2,
                                                 attributes={"pose": "sitting"})]}]}
    await expect_error(stack.save(sample.id, document), grpc.StatusCode.INVALID_ARGUMENT,
                       f"{FIELD}.frames[2].annotations[0].category_id")


async def test_too_many_frames_and_duplicate_tracks(stack: Stack) -> None:
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    (sample,) = await stack.create_samples(dataset, frames=2)
    await expect_error(stack.save(sample.id, {"frames": [{}, {}, {}]}),
                       grpc.StatusCode.INVALID_ARGUMENT, f"{FIELD}.frames")
    twice = {"frames": [{"annotations": [_box(3, True), _box(3, True)]}]}
    await expect_error(stack.save(sample.id, twice), grpc.StatusCode.INVALID_ARGUMENT,
                       f"{FIELD}.frames[0].annotations[1].track_id")


async def test_multisensor_labels_per_sensor(stack: Stack) -> None:
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE)
    camera = {"frames": [{"image": {"url": f"https://x/c{i}.jpg"}} for i in range(3)]}
    lidar = {"frames": [{"pcd": {"url": f"https://x/l{i}.pcd", "type": "pcd"}}
                        for i in range(2)]}
    sensors = {"sensors": [
        {"name": "cam", "task_type": "image-vector-sequence", "attributes": camera},
        {"name": "lidar", "task_type": "pointcloud-cuboid-sequence", "attributes": lidar},
    ]}
    created = await stack.dataset.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
        dataset_id=dataset.id, name="multi", attributes_json=json.dumps(sensors))))
    cuboid = {"id": 1, "track_id": 1, "is_keyframe": True, "category_id": 1, "type": "cuboid",
              "position": {"x": 0, "y": 0, "z": 0}, "dimensions": {"x": 1, "y": 1, "z": 1},
              "yaw": 0.5}
    label = {"sensors": [
        {"name": "cam", "task_type": "image-vector-sequence",
         "attributes": {"frames": [{"annotations": [_box(1, True)]}]}},
        {"name": "lidar", "task_type": "pointcloud-cuboid-sequence",
         "attributes": {"frames": [{"annotations": [cuboid]}]}},
    ]}
    saved = await stack.save(created.id, label)
    stored = json.loads(saved.attributes_json)["sensors"]
    assert [len(s["attributes"]["frames"]) for s in stored] == [3, 2]
    too_long = {"sensors": [{"name": "lidar", "attributes": {"frames": [{}, {}, {}]}}]}
    await expect_error(stack.save(created.id, too_long), grpc.StatusCode.INVALID_ARGUMENT,
                       f"{FIELD}.sensors[0].attributes.frames")
    await expect_error(stack.save(created.id, {"sensors": [{"name": "radar"}]}),
                       grpc.StatusCode.INVALID_ARGUMENT, f"{FIELD}.sensors[0].name")
