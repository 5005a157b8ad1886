"""Stored sequence labels as tracks for inline interpolation: the shared reader, with the
track-level attributes the release file's dataset header names."""

from __future__ import annotations

from services.release.domain.keyframes import track_level_names
from shared.labels.sequences import keyframe_tracks


def test_keyframes_removals_and_track_level_attributes():
    label = {"frames": [
        {"annotations": [
            {"track_id": 2, "category_id": 1, "type": "bbox", "is_keyframe": True,
             "points": [[0, 1], [2, 3]], "attributes": {"color": "red", "occluded": True}},
            {"track_id": 5, "category_id": 2, "type": "keypoints", "is_keyframe": True,
             "points": [[0, 0], [1, 1]]}]},
        {"annotations": [{"track_id": 2, "category_id": 1, "type": "bbox",
                          "is_keyframe": False, "points": [[9, 9], [9, 9]]}]},
        {"annotations": [{"track_id": 2, "category_id": 1, "type": "bbox",
                          "is_keyframe": True, "removed": True}]},
        {"annotations": [{"track_id": 7, "category_id": 1, "type": "cuboid",
                          "is_keyframe": True, "position": {"x": 1, "y": 2, "z": 3},
                          "dimensions": {"x": 4, "y": 5, "z": 6}, "yaw": 0.5,
                          "rotation": {"qx": 0, "qy": 0, "qz": 0, "qw": 1}}]},
    ]}
    header = {"task_attributes": {"categories": [
        {"id": 1, "attributes": [{"name": "color", "is_track_level": True},
                                 {"name": "occluded"}]}, {"id": 2}]}}
    tracks = keyframe_tracks(label, track_level_names(header))
    assert [t.track_id for t in tracks] == [2, 5, 7]
    box, keypoints, cuboid = tracks
    assert [(k.frame, k.removed) for k in box.keyframes] == [(0, False), (2, True)]
    assert box.keyframes[0].coordinates() == [0.0, 1.0, 2.0, 3.0]
    assert box.track_attributes == {"color": "red"}
    assert box.keyframes[0].attributes == {"occluded": True}
    assert keypoints.keyframes[0].visibility == (2, 2)
    assert cuboid.keyframes[0].coordinates() == [1, 2, 3, 4, 5, 6, 0.5, 0, 0, 0, 1]
