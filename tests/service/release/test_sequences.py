"""Sequence labels are written out for every frame, keyframes and interpolated ones."""

from __future__ import annotations

from typing import Any

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import Suite


def box(track: int, x: float, **extra: Any) -> dict[str, Any]:
    return {"id": track, "track_id": track, "is_keyframe": True, "category_id": 1,
            "type": "bbox", "points": [[x, 0.0], [x + 10, 10.0]], **extra}


def removed(track: int) -> dict[str, Any]:
    return {"track_id": track, "category_id": 1, "type": "bbox", "is_keyframe": True,
            "removed": True}


async def test_every_frame_with_interpolated_states_and_remove_keyframes(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    sample = await suite.add_sequence(dataset, "seq", frames=10)
    await suite.add_sequence(dataset, "empty", frames=3)
    frames: list[dict[str, Any]] = [{"annotations": []} for _ in range(10)]
    frames[0]["annotations"] = [box(1, 0.0, attributes={"occluded": True, "color": "red"}),
                                box(2, 50.0)]
    frames[0]["image_attributes"] = {}
    frames[4]["annotations"] = [box(1, 40.0, attributes={"occluded": False})]
    frames[6]["annotations"] = [removed(1)]
    frames[8]["annotations"] = [box(1, 80.0)]
    await suite.save(sample.id, {"format_version": "0.2", "frames": frames})

    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    samples = {s["name"]: s for s in (await suite.release_json(done.id))["dataset"]["samples"]}
    assert samples["empty"]["labels"]["ground-truth"] is None
    label = samples["seq"]["labels"]["ground-truth"]
    assert label["label_status"] == "LABELED"
    written = label["attributes"]["frames"]
    assert label["attributes"]["format_version"] == "0.2"
    assert len(written) == 10
    assert [f["timestamp"] for f in written] == [1000 + 40 * i for i in range(10)]

    def track(frame: int, track_id: int) -> dict[str, Any] | None:
        found = [a for a in written[frame]["annotations"] if a["track_id"] == track_id]
        return found[0] if found else None

    # Track 1: keyframes 0 and 4, interpolated between, absent from the remove-keyframe
    # at 6 up to the keyframe at 8, then held.
    for frame in range(5):
        state = track(frame, 1)
        assert state is not None
        assert state["points"] == [[10.0 * frame, 0.0], [10.0 * frame + 10, 10.0]]
        assert state["is_keyframe"] is (frame in (0, 4))
        assert state["type"] == "bbox" and state["category_id"] == 1
        assert state["attributes"]["color"] == "red"  # track-level, every frame
    assert track(1, 1)["attributes"]["occluded"] is True  # steps from keyframe 0
    assert track(5, 1)["points"] == [[40.0, 0.0], [50.0, 10.0]]
    assert track(6, 1) is None and track(7, 1) is None
    assert track(8, 1)["is_keyframe"] is True and track(9, 1)["is_keyframe"] is False
    # Track 2: one keyframe, held to the end.
    assert all(track(f, 2)["points"] == [[50.0, 0.0], [60.0, 10.0]] for f in range(10))
    assert [track(f, 2)["is_keyframe"] for f in range(3)] == [True, False, False]
