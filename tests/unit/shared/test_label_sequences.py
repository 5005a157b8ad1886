"""The one reader of stored sequence labels (shared/labels/sequences.py)."""

from __future__ import annotations

import pytest

from shared.labels.sequences import (
    LabelFormatError,
    frame_extras,
    keyframe_tracks,
    sensor_label,
)


def _box(track_id: int, x: float, **extra: object) -> dict[str, object]:
    return {"track_id": track_id, "category_id": 1, "type": "bbox", "is_keyframe": True,
            "points": [[x, 0], [x + 1, 1]], **extra}


def test_keyframes_only_in_frame_order_tracks_by_id() -> None:
    label = {"frames": [
        {"annotations": [_box(3, 0), _box(1, 5, attributes={"lane": "a", "speed": 1})]},
        "not a frame",
        {"annotations": [{**_box(1, 9), "is_keyframe": False}, {"category_id": 1}]},
        {"annotations": [_box(1, 7, attributes={"lane": "b", "speed": 2})]},
    ]}
    tracks = keyframe_tracks(label, {1: frozenset({"lane"})})
    assert [t.track_id for t in tracks] == [1, 3]
    one = tracks[0]
    assert [k.frame for k in one.keyframes] == [0, 3]
    assert one.track_attributes == {"lane": "a"}  # the first value seen
    assert [dict(k.attributes) for k in one.keyframes] == [{"speed": 1}, {"speed": 2}]
    assert one.keyframes[1].points == ((7.0, 0.0), (8.0, 1.0))
    assert one.keyframes[0].visibility is None
    assert label["frames"][0]["annotations"][1]["attributes"] == {"lane": "a", "speed": 1}


def test_a_cuboid_without_yaw_or_rotation() -> None:
    cuboid = {"track_id": 1, "category_id": 1, "type": "cuboid", "is_keyframe": True,
              "position": {"x": 1, "y": 2, "z": 3}, "dimensions": {"x": 4, "y": 5, "z": 6}}
    (track,) = keyframe_tracks({"frames": [{"annotations": [cuboid]}]}, {})
    assert track.keyframes[0].cuboid == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0)
    assert track.keyframes[0].coordinates() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0]


def test_a_remove_keyframe_keeps_no_geometry_or_attributes() -> None:
    removal = {"track_id": 1, "category_id": 1, "type": "bbox", "is_keyframe": True,
               "removed": True}
    (track,) = keyframe_tracks({"frames": [{"annotations": [_box(1, 0)]},
                                           {"annotations": [removal]}]}, {})
    assert track.keyframes[1].removed and track.keyframes[1].coordinates() == []


@pytest.mark.parametrize(("annotation", "path"), [
    ({**_box(1, 0), "type": "mask"}, "frames[0].annotations[0].type"),
    ({**_box(1, 0), "points": None}, "frames[0].annotations[0]"),
    ({**_box(1, 0), "points": [[0, 0], [1, 1, 1]]}, "frames[0].annotations[0]"),
    ({"track_id": 1, "type": "cuboid", "is_keyframe": True}, "frames[0].annotations[0]"),
])
def test_what_cannot_be_read_is_named(annotation: dict[str, object], path: str) -> None:
    with pytest.raises(LabelFormatError) as raised:
        keyframe_tracks({"frames": [{"annotations": [annotation]}]}, {})
    assert raised.value.path == path


def test_sensor_label() -> None:
    label = {"sensors": [{"name": "cam", "attributes": {"frames": []}},
                         {"name": "lidar", "attributes": {"frames": [{}]}}]}
    assert sensor_label(label, "lidar") == {"frames": [{}]}
    assert sensor_label(label, "") == {"frames": []}
    assert sensor_label(label, "radar") is None


def test_frame_extras() -> None:
    label = {"frames": [{"timestamp": 0.5, "annotations": [], "other": 1}, 7,
                        {"image_attributes": {"night": True}, "timestamp": None}]}
    assert frame_extras(label) == [{"timestamp": 0.5}, {},
                                   {"timestamp": None, "image_attributes": {"night": True}}]
    assert frame_extras({}) == []
