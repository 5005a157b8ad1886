"""Property tests on random tracks: the engine equals the scalar reference, keyframes come
back exactly, bbox coordinates stay between their keyframes, yaws and quaternions stay valid."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.interpolation.domain import Geometry, InterpolationOptions, iter_frame_blocks

from .helpers import assert_matches_reference, engine_states
from .strategies import requests

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIONS = st.builds(InterpolationOptions, st.booleans(), st.booleans())


@SETTINGS
@given(requests(), OPTIONS, st.integers(1, 31))
def test_engine_matches_reference(
    request: dict[str, Any], options: InterpolationOptions, block_frames: int
) -> None:
    assert_matches_reference(**request, options=options, block_frames=block_frames)


@SETTINGS
@given(requests(), st.data())
def test_ranges_match_reference(request: dict[str, Any], data: st.DataObject) -> None:
    n = request["frame_count"]
    start = data.draw(st.integers(0, n))
    stop = data.draw(st.integers(start, n))
    assert_matches_reference(**request, start=start, stop=stop, block_frames=3)


@SETTINGS
@given(requests())
def test_keyframes_are_reproduced_exactly(request: dict[str, Any]) -> None:
    given_at = {
        (i, k.frame): k
        for i, t in enumerate(request["tracks"])
        for k in t.keyframes
        if not k.removed
    }
    seen = set()
    for s in engine_states(**request):
        k = given_at.get((s.track_index, s.frame))
        assert s.is_keyframe == (k is not None)
        if k is not None:
            assert s.coords.tobytes() == np.asarray(k.coords, dtype=np.float64).tobytes()
            assert s.attributes is k.attributes
            seen.add((s.track_index, s.frame))
    assert seen == set(given_at)


@SETTINGS
@given(requests(Geometry.BBOX), OPTIONS)
def test_bbox_between_keyframes(request: dict[str, Any], options: InterpolationOptions) -> None:
    for i, t in enumerate(request["tracks"]):
        kfs = sorted(t.keyframes, key=lambda k: k.frame)
        for s in engine_states([t], request["frame_count"], options=options):
            before = [k for k in kfs if k.frame <= s.frame][-1]
            after = [k for k in kfs if k.frame > s.frame]
            if s.is_keyframe or not after or after[0].removed:
                continue
            a, b = np.asarray(before.coords), np.asarray(after[0].coords)
            slack = 2 * np.spacing(np.maximum(np.abs(a), np.abs(b)))  # rounding of a + e * rate
            assert (s.coords >= np.minimum(a, b) - slack).all(), (i, s.frame)
            assert (s.coords <= np.maximum(a, b) + slack).all(), (i, s.frame)


@SETTINGS
@given(requests(Geometry.CUBOID), OPTIONS)
def test_yaw_in_range_and_unit_quaternions(
    request: dict[str, Any], options: InterpolationOptions
) -> None:
    for block in iter_frame_blocks(**request, options=options, block_frames=4):
        cols = block.columns[Geometry.CUBOID]
        yaw = cols.coords[:, 6]
        assert ((yaw >= -math.pi) & (yaw <= math.pi)).all()
        if cols.coords.shape[1] == 11:
            q = cols.coords[:, 7:]
            has = ~np.isnan(q[:, 0])
            np.testing.assert_allclose(np.linalg.norm(q[has], axis=1), 1.0, atol=1e-4)
            interpolated = has & ~cols.is_keyframe
            np.testing.assert_allclose(np.linalg.norm(q[interpolated], axis=1), 1.0, atol=1e-12)
