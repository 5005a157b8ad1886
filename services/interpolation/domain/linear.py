"""BBOX and POINT: every coordinate moves linearly between keyframes.

Every family evaluates `coords = base[piece] + elapsed * rate[piece]`, where elapsed is the
time since the piece's keyframe and rate = (kf1 - kf0) / (time of kf1 - time of kf0).
"""

from __future__ import annotations

from typing import cast

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
    return cast(np.ndarray, delta / span.reshape((-1,) + (1,) * (delta.ndim - 1)))


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
        self.shape = keyframes.shape[1:]
        width = int(np.prod(self.shape))
        base, delta = piece_bases(table, keyframes)
        self.base = base.reshape(-1, width)
        self.rate = per_time(delta, table.span).reshape(-1, width)
        # The piece's origin once per coordinate: elapsed time then comes out as wide as the
        # coordinates, with no per-state repeat.
        self.origin = np.repeat(table.origin[:, None], width, axis=1)

    def evaluate(
        self, pid: np.ndarray, elapsed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        coords = blend(self.base, self.rate, pid, elapsed)
        return coords.reshape(-1, *self.shape), None, None

    def evaluate_rows(self, pid: np.ndarray, row: np.ndarray, times: np.ndarray) -> np.ndarray:
        """(N, *S) states of pieces pid (N,) on frames times[row] (row: (N,) int64 into
        times (F,) float64).

        Elapsed time is gathered as wide as the coordinates (the frame's time per coordinate,
        minus the piece's origin per coordinate): no per-state repeat, and no elapsed array
        to compact. Same operations as `blend` (t - origin, then base + elapsed * rate), so
        the same bits.
        """
        n, width = pid.shape[0], self.base.shape[1]
        out = np.empty((n, width))
        wide_times = np.repeat(times[:, None], width, axis=1)
        size = min(n, CHUNK)
        elapsed, other = np.empty((size, width)), np.empty((size, width))
        for a in range(0, n, CHUNK):
            b = min(a + CHUNK, n)
            index, m = pid[a:b], b - a
            dst = out[a:b]
            np.take(self.rate, index, axis=0, out=dst, mode="clip")
            e = np.take(wide_times, row[a:b], axis=0, out=elapsed[:m], mode="clip")
            e -= np.take(self.origin, index, axis=0, out=other[:m], mode="clip")
            dst *= e
            dst += np.take(self.base, index, axis=0, out=other[:m], mode="clip")
        return out.reshape(-1, *self.shape)
