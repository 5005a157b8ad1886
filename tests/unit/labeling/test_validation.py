"""The label formats checked without a server: every task type's shapes and paths."""

from __future__ import annotations

import math
from typing import Any

import pytest

from services.labeling.domain.models import DatasetInfo, SampleInfo, Sensor
from services.labeling.domain.validation import check_label
from shared.errors import InvalidArgument
from shared.task_attributes import AttributeDefinition, Category, InputType, TaskAttributes
from shared.task_types import TaskType

F = "label.attributes_json"
TASK_ATTRIBUTES = TaskAttributes(
    categories=(
        Category(1, "car", attributes=(
            AttributeDefinition("speed", InputType.NUMBER, min=0, max=50),
            AttributeDefinition("tags", InputType.MULTISELECT, values=("a", "b")),
            AttributeDefinition("lane", InputType.TEXT, is_track_level=True),
            AttributeDefinition("dir", InputType.VECTOR3),
        )),
        Category(2, "face", keypoint_names=("left", "right", "nose")),
    ),
    sample_attributes=(AttributeDefinition("night", InputType.CHECKBOX, is_mandatory=True),),
)


def _dataset(task_type: TaskType) -> DatasetInfo:
    return DatasetInfo("d", task_type, TASK_ATTRIBUTES)


def _violations(document: dict[str, Any], task_type: TaskType,
                sample: SampleInfo | None = None) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        check_label(document, _dataset(task_type), sample or SampleInfo("s", "d", 3))
    return {v.field: v.description for v in caught.value.violations}


def test_keypoints_count_follows_the_category_and_visibility_matches() -> None:
    good = {"annotations": [{"id": 1, "category_id": 2, "type": "keypoints",
                             "points": [[0, 0], [1, 1], [2, 2]], "visibility": [2, 2, 0]}],
            "image_attributes": {"night": False}}
    checked = check_label(good, _dataset(TaskType.KEYPOINTS), SampleInfo("s", "d", 1))
    assert checked.document["format_version"] == "0.1"
    bad = {"annotations": [{"id": 1, "category_id": 2, "type": "keypoints",
                            "points": [[0, 0]], "visibility": [1, 1]}]}
    found = _violations(bad, TaskType.KEYPOINTS)
    assert f"{F}.annotations[0].points" in found
    assert f"{F}.annotations[0].visibility" in found
    assert f"{F}.image_attributes.night" in found  # mandatory sample attribute


def test_attribute_values() -> None:
    document = {"annotations": [{"id": 1, "category_id": 1, "type": "bbox",
                                 "points": [[0, 0], [1, 1]],
                                 "attributes": {"speed": 99, "tags": ["c"], "dir": [1, 2]}}],
                "image_attributes": {"night": "yes"}}
    found = _violations(document, TaskType.BBOXES)
    assert {f"{F}.annotations[0].attributes.speed", f"{F}.annotations[0].attributes.tags",
            f"{F}.annotations[0].attributes.dir", f"{F}.image_attributes.night"} <= set(found)


def test_cuboids() -> None:
    good = {"annotations": [{"id": 1, "category_id": 1, "type": "cuboid",
                             "position": {"x": 0, "y": 0, "z": 0},
                             "dimensions": {"x": 1, "y": 2, "z": 3}, "yaw": math.pi,
                             "rotation": {"qx": 0, "qy": 0, "qz": 0, "qw": 1}}],
            "image_attributes": {"night": True}}
    assert check_label(good, _dataset(TaskType.POINTCLOUD_CUBOID),
                       SampleInfo("s", "d", 1)).document["format_version"] == "0.2"
    bad = {"annotations": [{"id": 1, "category_id": 1, "type": "cuboid",
                            "position": {"x": 0, "y": 0},
                            "dimensions": {"x": 1, "y": 0, "z": 3}, "yaw": 4,
                            "rotation": {"qx": 1, "qy": 1, "qz": 0, "qw": 1}}]}
    found = _violations(bad, TaskType.POINTCLOUD_CUBOID)
    for key in ("position", "dimensions", "yaw", "rotation"):
        assert f"{F}.annotations[0].{key}" in found


def test_pointcloud_vector_needs_3d_points() -> None:
    bad = {"annotations": [{"id": 1, "category_id": 1, "type": "polyline",
                            "points": [[0, 0], [1, 1]]}], "image_attributes": {"night": True}}
    assert f"{F}.annotations[0].points[0]" in _violations(bad, TaskType.POINTCLOUD_VECTOR)


def test_segmentation_labels() -> None:
    bad = {"annotations": [{"id": 0, "category_id": 1}], "image_attributes": {"night": True}}
    found = _violations(bad, TaskType.SEGMENTATION_BITMAP)
    assert f"{F}.segmentation_bitmap" in found and f"{F}.annotations[0].id" in found
    points = {"annotations": [{"id": 1, "category_id": 1}], "point_annotations": [0, 1, 5],
              "image_attributes": {"night": True}}
    assert f"{F}.point_annotations[2]" in _violations(points, TaskType.POINTCLOUD_SEGMENTATION)


def _kf(track: int, frame_type: str = "cuboid", **extra: Any) -> dict[str, Any]:
    return {"id": track, "track_id": track, "category_id": 1, "type": frame_type,
            "is_keyframe": True, "position": {"x": 0, "y": 0, "z": 0},
            "dimensions": {"x": 1, "y": 1, "z": 1}, "yaw": 0, **extra}


def test_cuboid_sequence_tracks_and_remove_keyframes() -> None:
    remove = {"track_id": 1, "category_id": 1, "type": "cuboid", "is_keyframe": True,
              "removed": True}
    checked = check_label({"frames": [{"annotations": [_kf(1)]}, {"annotations": [remove]}]},
                          _dataset(TaskType.POINTCLOUD_CUBOID_SEQUENCE), SampleInfo("s", "d", 3))
    assert checked.max_track_id == 1 and len(checked.document["frames"]) == 3
    bad_remove = {**remove, "position": {"x": 0, "y": 0, "z": 0}}
    lanes = [_kf(2, attributes={"lane": "a"}), _kf(2, attributes={"lane": "b"})]
    found = _violations({"frames": [{"annotations": [_kf(1), lanes[0]]},
                                    {"annotations": [bad_remove, lanes[1]]}]},
                        TaskType.POINTCLOUD_CUBOID_SEQUENCE)
    assert f"{F}.frames[1].annotations[0].position" in found
    assert f"{F}.frames[1].annotations[1].attributes.lane" in found


def test_multisensor_labels_follow_the_sample_sensors() -> None:
    sample = SampleInfo("s", "d", 2, sensors=(
        Sensor("lidar", TaskType.POINTCLOUD_CUBOID_SEQUENCE, 2),
        Sensor("cam", TaskType.IMAGE_VECTOR_SEQUENCE, 2)))
    good = {"sensors": [{"name": "lidar", "task_type": "pointcloud-cuboid-sequence",
                         "attributes": {"frames": [{"annotations": [_kf(4)]}]}}]}
    checked = check_label(good, _dataset(TaskType.MULTISENSOR_SEQUENCE), sample)
    assert checked.max_track_id == 4
    bad = {"sensors": [{"name": "radar", "attributes": {}},
                       {"name": "cam", "task_type": "pointcloud-cuboid-sequence",
                        "attributes": {"frames": [{"annotations": [_kf(1, "bbox")]}]}}]}
    found = _violations(bad, TaskType.MULTISENSOR_SEQUENCE, sample)
    assert f"{F}.sensors[0].name" in found and f"{F}.sensors[1].task_type" in found
    assert f"{F}.sensors[1].attributes.frames[0].annotations[0].points" in found


def test_violations_are_capped() -> None:
    document = {"annotations": [{"id": i, "category_id": 99} for i in range(1000)]}
    with pytest.raises(InvalidArgument) as caught:
        check_label(document, _dataset(TaskType.VECTOR), SampleInfo("s", "d", 1))
    assert len(caught.value.violations) <= 101
