"""BBOX and POINT: every coordinate moves linearly between keyframes.

Every family evaluates `coords = base[piece] + elapsed * rate[piece]`, where elapsed is the
time since the piece's keyframe and rate = (kf1 - kf0) / (time of kf1 - time of kf0).
"""

from __future__ import annotations

import numpy as np

from .pieces import Kind, PieceTable

# States per pass: temporaries stay small, in cache, and reused by the allocator (fresh
# pages cost more than the arithmetic on them).
CHUNK = 32768


def piece_bases(table: PieceTable, keyframes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-piece base and delta.

    keyframes: (R, *S) float64 state keyframes in row order. Returns base (P, *S), the
    keyframe the piece starts from, and delta (P, *S): kf1 - kf0 for INTERP pieces, -0.0
    elsewhere, because x + (e * -0.0) == x bit for bit for every x (also -0.0) when e >= 0,
    so keyframes and holds come out as exact copies from the same vectorised formula.
    """
    shape = (table.start.shape[0], *keyframes.shape[1:])
    base = np.zeros(shape)
    delta = np.full(shape, -0.0)
    src = table.kf0 >= 0
    base[src] = keyframes[table.kf0[src]]
    interp = table.kind == Kind.INTERP
    delta[interp] = keyframes[table.kf1[interp]] - base[interp]
    return base, delta


def per_time(delta: np.ndarray, span: np.ndarray) -> np.ndarray:
    """delta (P, *S) / span (P,): the change per unit of time; -0.0 stays -0.0 (span inf)."""
    return delta / span.reshape((-1,) + (1,) * (delta.ndim - 1))


def blend_into(
    base: np.ndarray, rate: np.ndarray, index: np.ndarray, elapsed: np.ndarray, out: np.ndarray
) -> None:
    """out (n, C) = base[index] + elapsed * rate[index]; base, rate: (P, C) float64;
    index: (n,) int64; elapsed: (n,) float64 >= 0; out: C-contiguous."""
    np.take(rate, index, axis=0, out=out, mode="clip")  # "clip": no defensive copy of out
    # Repeating elapsed to match beats broadcasting it over narrow rows (C is 2 to 11).
    flat = out.reshape(-1)
    flat *= np.repeat(elapsed, out.shape[1])
    out += np.take(base, index, axis=0)


def blend(base: np.ndarray, rate: np.ndarray, index: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """(n, *S) = base[index] + elapsed * rate[index] for base, rate (P, *S), in chunks."""
    n = index.shape[0]
    out = np.empty((n, *base.shape[1:]))
    width = int(np.prod(base.shape[1:]))
    flat_out = out.reshape(n, width)
    flat_base = base.reshape(base.shape[0], width)
    flat_rate = rate.reshape(rate.shape[0], width)
    for a in range(0, n, CHUNK):
        b = a + CHUNK
        blend_into(flat_base, flat_rate, index[a:b], elapsed[a:b], flat_out[a:b])
    return out


class LinearKernel:
    """BBOX (N, 2, 2) and POINT (N, 1, D) states."""

    def __init__(self, table: PieceTable, keyframes: np.ndarray) -> None:
        self.base, delta = piece_bases(table, keyframes)
        self.rate = per_time(delta, table.span)

    def evaluate(
        self, pid: np.ndarray, elapsed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        return blend(self.base, self.rate, pid, elapsed), None, None
