"""POLYGON / POLYLINE pairing: equal vertex counts, then the second shape aligned to the first.

Kernels run on a batch of keyframe pairs with the same vertex counts at once. Squared edge
lengths and alignment costs are summed left to right in float64, exactly as the scalar
reference does, so exact ties break the same way.
"""

from __future__ import annotations

from typing import cast

import numpy as np


def _sq_norms(diff: np.ndarray) -> np.ndarray:
    """(..., D) -> (...): x*x + y*y (+ z*z), added in that order."""
    out: np.ndarray = diff[..., 0] * diff[..., 0]
    for d in range(1, diff.shape[-1]):
        out += diff[..., d] * diff[..., d]
    return out


def equalise(shapes: np.ndarray, count: int, closed: bool) -> np.ndarray:
    """shapes (S, V, D) -> (S, count, D): while short, each shape's longest edge (the lowest
    index on a tie; a polygon's closing edge counts) gains a vertex at its midpoint, so every
    original vertex stays. One insertion per step, each step vectorised over the batch."""
    rows = np.arange(shapes.shape[0])[:, None]
    while shapes.shape[1] < count:
        n = shapes.shape[1]
        ends = np.roll(shapes, -1, axis=1) if closed else shapes[:, 1:]
        sq = _sq_norms(ends - shapes[:, : ends.shape[1]])  # (S, edges)
        edge = np.argmax(sq, axis=1)[:, None]  # first maximum: the lowest index
        mid = (shapes[rows, edge] + shapes[rows, (edge + 1) % n]) * 0.5  # (S, 1, D)
        slots = np.arange(n + 1)[None, :]
        grown = shapes[rows, np.where(slots <= edge, slots, slots - 1)]
        grown[rows, edge + 1] = mid
        shapes = grown
    return shapes


# How far an FFT estimate of an alignment cost may be from the exact sequential sum, relative
# to sum |a|^2 + sum |b|^2: a few ulps times the vertex count in truth; this is far wider.
_ESTIMATE_SLACK = 1e-9


def _orders(v: int, closed: bool) -> np.ndarray:
    """(C, V) int64 vertex orders in tie-break order: the shifts s = 0..V-1 (s = 0 only for
    a polyline) of the shape, then the same of the reversed shape."""
    forward = (np.arange(v)[None, :] + np.arange(v if closed else 1)[:, None]) % v
    return np.concatenate([forward, (v - 1 - np.arange(v))[forward]])


def _estimates(first: np.ndarray, second: np.ndarray, shifts: int) -> np.ndarray:
    """(S, 2 * shifts) estimated costs |a|^2 + |b|^2 - 2 a.b of every candidate, with the
    cross terms of all shifts at once as circular correlations (FFT)."""
    v = first.shape[1]
    norms = np.einsum("svd,svd->s", first, first) + np.einsum("svd,svd->s", second, second)
    fa = np.conj(np.fft.rfft(first, axis=1))
    cross = [
        np.fft.irfft((fa * np.fft.rfft(source, axis=1)).sum(axis=2), n=v, axis=1)[:, :shifts]
        for source in (second, second[:, ::-1])
    ]
    return cast(np.ndarray, norms[:, None] - 2.0 * np.concatenate(cross, axis=1))


def _exact_costs(first: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(n,) total squared distances of first (n, V, D) to candidates (n, V, D), summed
    x*x + y*y (+ z*z) per vertex, then vertex by vertex left to right (as the reference)."""
    diff = candidates - first
    return np.cumsum(_sq_norms(diff), axis=1)[:, -1] if diff.shape[0] else np.zeros(0)


def align(first: np.ndarray, second: np.ndarray, closed: bool) -> np.ndarray:
    """second (S, V, D) reordered to best match first (S, V, D) vertex by vertex.

    Candidates, in tie-break order: second[(i + s) % V] for s = 0..V-1 (polygon; s = 0 only
    for a polyline), then the same over second[::-1]. The first candidate with the least
    total squared distance wins.

    Cheap estimates of every cost (FFT) rule out the candidates that cannot win; only those
    within the estimates' error bound of the best are scored exactly, as the reference does,
    so the choice (ties included) is the reference's bit for bit.
    """
    n_shapes, v = first.shape[:2]
    orders = _orders(v, closed)
    shifts = orders.shape[0] // 2
    if n_shapes == 0:
        return second.copy()
    estimate = _estimates(first, second, shifts)  # (S, C)
    scale = (np.abs(first) ** 2).sum(axis=(1, 2)) + (np.abs(second) ** 2).sum(axis=(1, 2))
    slack = 4.0 * _ESTIMATE_SLACK * scale
    lowest = estimate.min(axis=1)
    keep = estimate <= (lowest + slack)[:, None]
    # Not finite (overflow, NaN): every candidate is scored exactly.
    keep |= ~(np.isfinite(lowest) & np.isfinite(slack))[:, None]
    shape, cand = np.nonzero(keep)  # row-major: by shape, then in tie-break order
    candidates = second[shape[:, None], orders[cand]]  # (n, V, D)
    exact = _exact_costs(first[shape], candidates)
    exact[np.isnan(exact)] = np.inf  # a NaN cost never wins, as with a strict `<`
    starts = np.flatnonzero(np.r_[True, shape[1:] != shape[:-1]])
    least = np.minimum.reduceat(exact, starts)  # per shape (every shape keeps a candidate)
    return cast(np.ndarray, candidates[_first_per_group(exact == least[shape], shape)])


def _first_per_group(flags: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Row index of the first True flag of each group (groups sorted, each with one)."""
    rows = np.flatnonzero(flags)
    first = np.r_[True, group[rows][1:] != group[rows][:-1]]
    return rows[first]


def pair_shapes(a: np.ndarray, b: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keyframe shapes a (S, Va, D), b (S, Vb, D) -> both (S, n, D), n = max(Va, Vb), vertex
    i of one to blend with vertex i of the other."""
    n = max(a.shape[1], b.shape[1])
    a = equalise(a, n, closed)
    b = equalise(b, n, closed)
    return a, align(a, b, closed)
