"""Bad input: an InterpolationInputError naming the field, raised before any block."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from services.interpolation.domain import (
    Geometry,
    InterpolationInputError,
    Keyframe,
    frame_state,
    iter_frame_blocks,
)

from .helpers import assert_matches_reference, kf, track

BOX = [[0.0, 0.0], [1.0, 1.0]]


def error_of(tracks: list, frame_count: int = 10, **kwargs: Any) -> InterpolationInputError:
    with pytest.raises(InterpolationInputError) as info:
        iter_frame_blocks(tracks, frame_count, **kwargs)  # eager: no next() needed
    return info.value


def test_duplicate_keyframes_name_the_field() -> None:
    t = track(Geometry.BBOX, kf(1, BOX), kf(4, BOX), kf(4, removed=True))
    err = error_of([track(Geometry.BBOX, kf(0, BOX), track_id=9), t])
    assert err.field == "tracks[1].keyframes[2].frame"
    assert "duplicate" in err.message and "keyframes[1]" in err.message


@pytest.mark.parametrize("frame", [-1, 10, 11])
def test_frame_out_of_range(frame: int) -> None:
    err = error_of([track(Geometry.BBOX, kf(0, BOX), kf(frame, BOX))])
    assert err.field == "tracks[0].keyframes[1].frame"


@pytest.mark.parametrize(
    "geometry,coords",
    [
        (Geometry.BBOX, [[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]),
        (Geometry.POINT, [1.0, 2.0]),
        (Geometry.POLYGON, [[0.0, 0.0], [1.0, 1.0]]),
        (Geometry.POLYLINE, [[0.0, 0.0]]),
        (Geometry.CUBOID, [0.0] * 8),
        (Geometry.KEYPOINTS, [[0.0, 0.0, 0.0]]),
    ],
)
def test_wrong_shapes(geometry: Geometry, coords: list) -> None:
    extra = {"visibility": np.array([2])} if geometry is Geometry.KEYPOINTS else {}
    err = error_of([track(geometry, kf(2, coords, **extra))])
    assert err.field == "tracks[0].keyframes[0].coords"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite(bad: float) -> None:
    err = error_of([track(Geometry.BBOX, kf(0, [[0.0, bad], [1.0, 1.0]]))])
    assert err.field == "tracks[0].keyframes[0].coords"


def test_yaw_outside_pi() -> None:
    err = error_of([track(Geometry.CUBOID, kf(0, [0, 0, 0, 1, 1, 1, 3.2]))])
    assert "yaw" in err.message


def test_quaternion_on_one_end_of_a_pair_only() -> None:
    a = kf(0, [0, 0, 0, 1, 1, 1, 0.0])
    b = kf(5, [0, 0, 0, 1, 1, 1, 0.0, 0, 0, 0, 1])
    err = error_of([track(Geometry.CUBOID, b, a)])
    assert err.field == "tracks[0].keyframes[0].coords"
    # across a remove-keyframe nothing is blended, so that is fine
    ok = track(Geometry.CUBOID, a, kf(3, removed=True), b)
    assert sum(b.num_states for b in iter_frame_blocks([ok], 10)) == 8
    assert_matches_reference([ok], 10)


def test_quaternion_must_be_unit() -> None:
    err = error_of([track(Geometry.CUBOID, kf(0, [0, 0, 0, 1, 1, 1, 0.0, 0, 0, 0, 2]))])
    assert "unit" in err.message


def test_keypoint_count_changing() -> None:
    a = kf(0, [[0.0, 0.0]], visibility=np.array([2]))
    b = kf(3, [[0.0, 0.0], [1.0, 1.0]], visibility=np.array([2, 2]))
    err = error_of([track(Geometry.KEYPOINTS, a, b)])
    assert err.field == "tracks[0].keyframes[1].coords"


def test_keypoints_need_matching_visibility() -> None:
    err = error_of([track(Geometry.KEYPOINTS, kf(0, [[0.0, 0.0]], visibility=np.array([1, 2])))])
    assert err.field == "tracks[0].keyframes[0].visibility"


def test_dimension_changing_within_a_track_and_a_family() -> None:
    a, b = [[0.0, 0.0]], [[0.0, 0.0, 1.0]]
    err = error_of([track(Geometry.POINT, kf(0, a), kf(3, b))])
    assert err.field == "tracks[0].keyframes[1].coords"
    pair = [track(Geometry.POINT, kf(0, a)), track(Geometry.POINT, kf(0, b), track_id=2)]
    assert error_of(pair).field == "tracks[1].keyframes[0].coords"


@pytest.mark.parametrize("ts", [[0.0, 1.0, 1.0, 2.0], [0.0, 2.0, 1.0, 3.0]])
def test_timestamps_not_strictly_increasing(ts: list[float]) -> None:
    err = error_of([track(Geometry.BBOX, kf(0, BOX))], 4, timestamps=np.array(ts))
    assert err.field == "timestamps[2]"


def test_timestamps_wrong_length_or_not_finite() -> None:
    assert error_of([], 4, timestamps=np.arange(3.0)).field == "timestamps"
    assert error_of([], 2, timestamps=np.array([0.0, math.nan])).field == "timestamps[1]"


def test_duplicate_track_ids() -> None:
    err = error_of([track(Geometry.BBOX, kf(0, BOX)), track(Geometry.POINT, kf(0, [[1.0, 1.0]]))])
    assert err.field == "tracks[1].track_id"


def test_state_keyframe_needs_coordinates_remove_keyframe_ignores_them() -> None:
    err = error_of([track(Geometry.BBOX, Keyframe(0))])
    assert err.field == "tracks[0].keyframes[0].coords"
    t = track(Geometry.BBOX, kf(0, BOX), Keyframe(2, removed=True, coords=np.zeros(3)))
    assert sum(b.num_states for b in iter_frame_blocks([t], 4)) == 2


def test_ranges() -> None:
    tracks = [track(Geometry.BBOX, kf(0, BOX))]
    assert error_of(tracks, 5, start=6).field == "start"
    assert error_of(tracks, 5, start=3, stop=2).field == "stop"
    assert error_of(tracks, 5, block_frames=0).field == "block_frames"
    assert error_of(tracks, -1).field == "frame_count"
    with pytest.raises(InterpolationInputError) as info:
        frame_state(tracks, 5, 5)
    assert info.value.field == "frame"


def test_plan_block_range() -> None:
    from services.interpolation.domain import InterpolationPlan

    plan = InterpolationPlan([track(Geometry.BBOX, kf(0, BOX))], 5)
    assert plan.block(4, 5).num_states == 1
    for start, stop in ((2, 2), (4, 6), (-1, 1)):
        with pytest.raises(InterpolationInputError):
            plan.block(start, stop)
