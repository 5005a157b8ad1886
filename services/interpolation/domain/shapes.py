"""POLYGON / POLYLINE pairing: equal vertex counts, then the second shape aligned to the first.

Edge lengths and alignment costs are summed left to right in float64, exactly as the scalar
reference does, so near-ties break the same way.
"""

from __future__ import annotations

import numpy as np

# Cap on candidate-alignment floats held at once (large polygons are aligned in chunks).
_ALIGN_CHUNK_FLOATS = 1 << 21


def _sq_dist(p: tuple[float, ...], q: tuple[float, ...]) -> float:
    total = 0.0
    for a, b in zip(p, q, strict=True):
        total += (b - a) * (b - a)
    return total


def equalise(vertices: np.ndarray, count: int, closed: bool) -> np.ndarray:
    """(V, D) -> (count, D): while short, split the longest edge (lowest index on a tie;
    a polygon's closing edge counts) at its midpoint, keeping every original vertex.

    The splits depend on each other, so this runs one insertion at a time (one-off per
    keyframe pair, never per frame).
    """
    pts = [tuple(row) for row in vertices.tolist()]
    n = len(pts)
    sq = [_sq_dist(pts[i], pts[(i + 1) % n]) for i in range(n if closed else n - 1)]
    while len(pts) < count:
        i = sq.index(max(sq))  # index() finds the first, i.e. lowest, longest edge
        p, q = pts[i], pts[(i + 1) % len(pts)]
        mid = tuple((a + b) * 0.5 for a, b in zip(p, q, strict=True))
        pts.insert(i + 1, mid)
        sq[i : i + 1] = [_sq_dist(p, mid), _sq_dist(mid, q)]
    return np.array(pts, dtype=np.float64).reshape(len(pts), vertices.shape[1])


def _costs(first: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(C,) total squared distance of candidates (C, V, D) to first (V, D), summed in order."""
    diff = candidates - first
    sq = diff[..., 0] * diff[..., 0]
    for d in range(1, first.shape[1]):
        sq += diff[..., d] * diff[..., d]
    return np.cumsum(sq, axis=1)[:, -1]  # cumsum adds sequentially, like the reference


def align(first: np.ndarray, second: np.ndarray, closed: bool) -> np.ndarray:
    """second (V, D) reordered to best match first (V, D) vertex by vertex.

    Candidates, in tie-break order: polygon, second[(i + s) % V] for s = 0..V-1, then the
    reversed second[::-1] likewise; polyline, second then second[::-1]. The first candidate
    with the least total squared distance wins.
    """
    if not closed:
        candidates = np.stack([second, second[::-1]])
        return candidates[int(np.argmin(_costs(first, candidates)))]
    v = first.shape[0]
    chunk = max(1, _ALIGN_CHUNK_FLOATS // (v * first.shape[1]))
    best_cost, best = np.inf, second
    for direction in (second, second[::-1]):
        for s0 in range(0, v, chunk):
            shifts = np.arange(s0, min(v, s0 + chunk))
            index = (shifts[:, None] + np.arange(v)[None, :]) % v
            candidates = direction[index]
            costs = _costs(first, candidates)
            k = int(np.argmin(costs))
            if costs[k] < best_cost:  # strict: an earlier candidate wins a tie
                best_cost, best = float(costs[k]), candidates[k]
    return best


def pair_shapes(a: np.ndarray, b: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keyframe shapes a (Va, D), b (Vb, D) -> (n, D), (n, D) with n = max(Va, Vb), vertex i
    of one to blend with vertex i of the other."""
    n = max(a.shape[0], b.shape[0])
    if a.shape[0] < n:
        a = equalise(a, n, closed)
    if b.shape[0] < n:
        b = equalise(b, n, closed)
    return a, align(a, b, closed)
