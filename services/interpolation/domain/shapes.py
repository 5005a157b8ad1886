"""POLYGON / POLYLINE pairing: equal vertex counts, then the second shape aligned to the first.

Kernels run on a batch of keyframe pairs with the same vertex counts at once. Squared edge
lengths and alignment costs are summed left to right in float64, exactly as the scalar
reference does, so exact ties break the same way.
"""

from __future__ import annotations

import numpy as np


def _sq_norms(diff: np.ndarray) -> np.ndarray:
    """(..., D) -> (...): x*x + y*y (+ z*z), added in that order."""
    out = diff[..., 0] * diff[..., 0]
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


def align(first: np.ndarray, second: np.ndarray, closed: bool) -> np.ndarray:
    """second (S, V, D) reordered to best match first (S, V, D) vertex by vertex.

    Candidates, in tie-break order: second[(i + s) % V] for s = 0..V-1 (polygon; s = 0 only
    for a polyline), then the same over second[::-1]. The first candidate with the least
    total squared distance wins.
    """
    n_shapes, v = first.shape[:2]
    best = np.full(n_shapes, np.inf)
    best_shift = np.zeros(n_shapes, dtype=np.int64)
    best_reversed = np.zeros(n_shapes, dtype=bool)
    vertex = np.arange(v)
    for reverse in (False, True):
        source = second[:, ::-1] if reverse else second
        doubled = np.concatenate([source, source], axis=1)  # shift s: the view [s, s + v)
        for shift in range(v if closed else 1):
            diff = doubled[:, shift : shift + v] - first
            cost = np.cumsum(_sq_norms(diff), axis=1)[:, -1]  # sequential sum
            better = cost < best  # strict: an earlier candidate keeps a tie
            np.copyto(best, cost, where=better)
            np.copyto(best_shift, shift, where=better)
            np.copyto(best_reversed, reverse, where=better)
    index = (vertex[None, :] + best_shift[:, None]) % v
    rows = np.arange(n_shapes)[:, None]
    return np.where(best_reversed[:, None, None], second[:, ::-1][rows, index], second[rows, index])


def pair_shapes(a: np.ndarray, b: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keyframe shapes a (S, Va, D), b (S, Vb, D) -> both (S, n, D), n = max(Va, Vb), vertex
    i of one to blend with vertex i of the other."""
    n = max(a.shape[1], b.shape[1])
    a = equalise(a, n, closed)
    b = equalise(b, n, closed)
    return a, align(a, b, closed)
