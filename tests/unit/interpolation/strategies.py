"""Hypothesis strategies: random valid tracks of every geometry."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from services.interpolation.domain import Geometry, Keyframe, Track

# Small integers make exact ties (equal edges, equal alignment costs) likely.
COORD = st.one_of(
    st.floats(-1000, 1000, allow_nan=False, allow_infinity=False),
    st.integers(-8, 8).map(float),
)
YAW = st.one_of(
    st.floats(-math.pi, math.pi),
    st.sampled_from([math.pi, -math.pi, 0.0, math.pi / 2, 3.1, -3.1]),
)


def _array(draw: Any, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    return np.array(draw(st.lists(COORD, min_size=n, max_size=n)), dtype=np.float64).reshape(shape)


def _quaternion(draw: Any, previous: np.ndarray | None) -> np.ndarray:
    if previous is not None and draw(st.booleans()):
        return -previous  # the same rotation
    raw = np.array(draw(st.lists(st.floats(-1, 1), min_size=4, max_size=4)))
    norm = float(np.linalg.norm(raw))
    return raw / norm if norm > 0.2 else np.array([0.0, 0.0, 0.0, 1.0])


@st.composite
def tracks(
    draw: Any, frame_count: int, track_id: int, dim: int, geometry: Geometry | None = None
) -> Track:
    """dim: point dimension, one per request (a family's states share one array)."""
    geometry = geometry or draw(st.sampled_from(list(Geometry)))
    n_keypoints = draw(st.integers(1, 4))
    with_quaternion = draw(st.booleans())
    frames = draw(st.lists(st.integers(0, frame_count - 1), unique=True, max_size=6))
    keyframes = []
    previous_q: np.ndarray | None = None
    for f in sorted(frames):
        attributes = {"frame": f}
        if draw(st.integers(0, 4)) == 0:
            keyframes.append(Keyframe(f, removed=True, attributes=attributes))
            continue
        visibility = None
        if geometry is Geometry.BBOX:
            coords = _array(draw, (2, 2))
        elif geometry is Geometry.POINT:
            coords = _array(draw, (1, dim))
        elif geometry in (Geometry.POLYGON, Geometry.POLYLINE):
            low = 3 if geometry is Geometry.POLYGON else 2
            coords = _array(draw, (draw(st.integers(low, low + 4)), dim))
        elif geometry is Geometry.KEYPOINTS:
            coords = _array(draw, (n_keypoints, 2))
            flags = draw(st.lists(st.integers(0, 2), min_size=n_keypoints, max_size=n_keypoints))
            visibility = np.array(flags, dtype=np.int32)
        else:
            pose = [*_array(draw, (6,)).tolist(), draw(YAW)]
            if with_quaternion:
                previous_q = _quaternion(draw, previous_q)
                pose.extend(previous_q.tolist())
            coords = np.array(pose)
        keyframes.append(Keyframe(f, coords=coords, visibility=visibility, attributes=attributes))
    order = draw(st.permutations(keyframes))
    return Track(track_id, track_id % 3, geometry, tuple(order), {"track": track_id})


@st.composite
def requests(draw: Any, geometry: Geometry | None = None) -> dict[str, Any]:
    frame_count = draw(st.integers(1, 30))
    n_tracks = draw(st.integers(1, 4))
    dim = draw(st.sampled_from([2, 3]))
    request: dict[str, Any] = {
        "tracks": [draw(tracks(frame_count, 100 + i, dim, geometry)) for i in range(n_tracks)],
        "frame_count": frame_count,
    }
    if draw(st.booleans()):
        steps = draw(st.lists(st.floats(0.01, 10.0), min_size=frame_count, max_size=frame_count))
        request["timestamps"] = np.cumsum(steps) + draw(st.floats(-100, 100))
    return request
