"""The obvious scalar interpolation, written straight from DESIGN §6: one loop per frame per
track, plain Python floats. The numpy engine must match it; it is also the bench baseline.

Two choices the spec leaves open are made here as in the engine: edges compare by squared
length (the same order as length), and sums (edge lengths, alignment costs, quaternion dots)
add left to right, so that exact ties break the same way in both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.interpolation.domain import Geometry, InterpolationOptions, Keyframe, Track

Point = list[float]


@dataclass(frozen=True, eq=False)
class RefState:
    frame: int
    track_index: int
    is_keyframe: bool
    coords: np.ndarray
    visibility: np.ndarray | None
    attributes: Mapping[str, Any]
    copied: bool  # the keyframe or a hold: must equal the keyframe bit for bit


def _sq(p: Sequence[float], q: Sequence[float]) -> float:
    total = 0.0
    for a, b in zip(p, q, strict=True):
        total += (b - a) * (b - a)
    return total


def equalise(points: list[Point], count: int, closed: bool) -> list[Point]:
    """Split the longest edge (lowest index on a tie) at its midpoint until `count` vertices."""
    points = [list(p) for p in points]
    while len(points) < count:
        n = len(points)
        edges = range(n) if closed else range(n - 1)
        longest = edges[0]
        for i in edges:
            if _sq(points[i], points[(i + 1) % n]) > _sq(
                points[longest], points[(longest + 1) % n]
            ):
                longest = i
        p, q = points[longest], points[(longest + 1) % n]
        points.insert(longest + 1, [(a + b) * 0.5 for a, b in zip(p, q, strict=True)])
    return points


def align(first: list[Point], second: list[Point], closed: bool) -> list[Point]:
    """The reordering of `second` closest to `first`; first found wins a tie (no shift, same
    direction first; then the shifts in order, then the reversed direction's)."""
    n = len(second)
    candidates = []
    for direction in (second, second[::-1]):
        shifts = range(n) if closed else range(1)
        for s in shifts:
            candidates.append([direction[(i + s) % n] for i in range(n)])
    best, best_cost = candidates[0], math.inf
    for cand in candidates:
        cost = 0.0
        for a, b in zip(first, cand, strict=True):
            cost += _sq(a, b)
        if cost < best_cost:
            best, best_cost = cand, cost
    return best


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _wrap_delta(d: float) -> float:
    if d > math.pi:
        return d - 2 * math.pi
    if d <= -math.pi:
        return d + 2 * math.pi
    return d


def _wrap(y: float) -> float:
    if y > math.pi:
        return y - 2 * math.pi
    if y < -math.pi:
        return y + 2 * math.pi
    return y


def _dot(p: Sequence[float], q: Sequence[float]) -> float:
    return p[0] * q[0] + p[1] * q[1] + p[2] * q[2] + p[3] * q[3]


def _unit(q: Sequence[float]) -> list[float]:
    n = math.sqrt(_dot(q, q))
    return [c / n for c in q]


def slerp(q0: Sequence[float], q1: Sequence[float], t: float) -> list[float]:
    q0, q1 = _unit(q0), _unit(q1)
    dot = _dot(q0, q1)
    if dot < 0:  # q and -q are the same rotation: take the shorter arc
        q1, dot = [-c for c in q1], -dot
    if dot > 0.9995:
        w0, w1 = 1.0 - t, t
    else:
        theta = math.acos(min(dot, 1.0))
        w0 = math.sin((1.0 - t) * theta) / math.sin(theta)
        w1 = math.sin(t * theta) / math.sin(theta)
    return _unit([w0 * a + w1 * b for a, b in zip(q0, q1, strict=True)])


def blend(geometry: Geometry, k0: Keyframe, k1: Keyframe, t: float) -> np.ndarray:
    a = np.asarray(k0.coords, dtype=np.float64)
    b = np.asarray(k1.coords, dtype=np.float64)
    if geometry in (Geometry.POLYGON, Geometry.POLYLINE):
        closed = geometry is Geometry.POLYGON
        pa, pb = a.tolist(), b.tolist()
        n = max(len(pa), len(pb))
        pa = equalise(pa, n, closed) if len(pa) < n else pa
        pb = equalise(pb, n, closed) if len(pb) < n else pb
        pb = align(pa, pb, closed)
        return np.array(
            [
                [_lerp(x, y, t) for x, y in zip(p, q, strict=True)]
                for p, q in zip(pa, pb, strict=True)
            ]
        )
    if geometry is Geometry.CUBOID:
        out = [_lerp(a[i], b[i], t) for i in range(6)]
        out.append(_wrap(a[6] + t * _wrap_delta(b[6] - a[6])))
        if a.shape[0] == 11:
            out.extend(slerp(a[7:].tolist(), b[7:].tolist(), t))
        return np.array(out)
    out = np.empty_like(a)
    for index in np.ndindex(a.shape):
        out[index] = _lerp(float(a[index]), float(b[index]), t)
    return out


def reference_states(
    tracks: Sequence[Track],
    frame_count: int,
    *,
    timestamps: Sequence[float] | None = None,
    options: InterpolationOptions = InterpolationOptions(),  # noqa: B008 (frozen)
    start: int = 0,
    stop: int | None = None,
) -> list[RefState]:
    """Present states on frames [start, stop), sorted by frame, then track index."""
    stop = frame_count if stop is None else stop

    def time(f: int) -> float:
        if options.by_timestamp and timestamps is not None:
            return float(timestamps[f])
        return float(f)

    out = []
    for f in range(start, stop):
        for ti, track in enumerate(tracks):
            kfs = sorted(track.keyframes, key=lambda k: k.frame)
            before = [k for k in kfs if k.frame <= f]
            after = [k for k in kfs if k.frame > f]
            if not before or before[-1].removed:
                continue  # rules 1 and 3: absent
            k0 = before[-1]
            vis = None if k0.visibility is None else np.asarray(k0.visibility, dtype=np.int32)
            coords = np.array(k0.coords, dtype=np.float64)  # rules 2 and 5, holds: a copy
            copied = True
            if after and not after[0].removed and k0.frame != f:
                k1 = after[0]  # rule 4
                t = (time(f) - time(k0.frame)) / (time(k1.frame) - time(k0.frame))
                coords, copied = blend(track.geometry, k0, k1, t), False
            elif (
                not after
                and k0.frame != f
                and track.geometry is Geometry.CUBOID
                and options.extrapolate_cuboid_position
                and len(before) >= 2
                and not before[-2].removed
            ):
                prev = np.asarray(before[-2].coords, dtype=np.float64)
                copied = False
                dt = time(k0.frame) - time(before[-2].frame)
                for i in range(3):
                    v = (coords[i] - prev[i]) / dt
                    coords[i] = coords[i] + v * (time(f) - time(k0.frame))
            out.append(RefState(f, ti, k0.frame == f, coords, vis, k0.attributes, copied))
    return out
