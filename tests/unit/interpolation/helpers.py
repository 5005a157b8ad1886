"""Shared helpers: build tracks tersely, run the engine, compare it with the reference."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from services.interpolation.domain import (
    Geometry,
    InterpolationOptions,
    Keyframe,
    Track,
    TrackState,
    iter_frame_blocks,
)

from .reference import RefState, reference_states

RTOL = 1e-12
ATOL = 1e-9


def kf(frame: int, coords: Any = None, *, removed: bool = False, **extra: Any) -> Keyframe:
    if removed:
        return Keyframe(frame, removed=True, attributes=extra.get("attributes", {}))
    return Keyframe(
        frame,
        coords=np.asarray(coords, dtype=np.float64),
        visibility=extra.get("visibility"),
        attributes=extra.get("attributes", {}),
    )


def track(geometry: Geometry, *keyframes: Keyframe, track_id: int = 1, **extra: Any) -> Track:
    return Track(
        track_id,
        extra.get("category_id", 7),
        geometry,
        tuple(keyframes),
        extra.get("track_attributes", {}),
    )


def engine_states(tracks: Sequence[Track], frame_count: int, **kwargs: Any) -> list[TrackState]:
    return [s for block in iter_frame_blocks(tracks, frame_count, **kwargs) for s in block.states()]


def wrapped(angle: float) -> float:
    return math.remainder(angle, 2 * math.pi)


def assert_state_matches(geometry: Geometry, got: TrackState, ref: RefState) -> None:
    where = f"frame {ref.frame} track {ref.track_index}"
    assert got.is_keyframe == ref.is_keyframe, where
    assert got.attributes is ref.attributes, where
    if ref.visibility is None:
        assert got.visibility is None, where
    else:
        np.testing.assert_array_equal(got.visibility, ref.visibility, err_msg=where)
    assert got.coords.shape == ref.coords.shape, where
    if ref.copied:  # keyframes and holds: the keyframe, bit for bit
        assert got.coords.tobytes() == ref.coords.tobytes(), where
        return
    if geometry is not Geometry.CUBOID:
        np.testing.assert_allclose(got.coords, ref.coords, rtol=RTOL, atol=ATOL, err_msg=where)
        return
    np.testing.assert_allclose(got.coords[:6], ref.coords[:6], rtol=RTOL, atol=ATOL, err_msg=where)
    assert abs(wrapped(got.coords[6] - ref.coords[6])) <= ATOL, where
    if ref.coords.shape[0] == 11:
        q, r = got.coords[7:], ref.coords[7:]
        assert min(np.abs(q - r).max(), np.abs(q + r).max()) <= ATOL, where


def assert_matches_reference(
    tracks: Sequence[Track],
    frame_count: int,
    *,
    timestamps: np.ndarray | None = None,
    options: InterpolationOptions = InterpolationOptions(),  # noqa: B008 (frozen)
    start: int = 0,
    stop: int | None = None,
    block_frames: int = 256,
) -> list[TrackState]:
    got = engine_states(
        tracks,
        frame_count,
        timestamps=timestamps,
        options=options,
        start=start,
        stop=stop,
        block_frames=block_frames,
    )
    ref = reference_states(
        tracks,
        frame_count,
        timestamps=None if timestamps is None else timestamps.tolist(),
        options=options,
        start=start,
        stop=stop,
    )
    assert [(s.frame, s.track_index) for s in got] == [(r.frame, r.track_index) for r in ref]
    for g, r in zip(got, ref, strict=True):
        assert g.track_id == tracks[r.track_index].track_id
        assert g.category_id == tracks[r.track_index].category_id
        assert g.track_attributes is tracks[r.track_index].track_attributes
        assert_state_matches(tracks[r.track_index].geometry, g, r)
    return got
