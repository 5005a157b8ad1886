"""BBOX and POINT: every coordinate moves linearly between keyframes."""

from __future__ import annotations

import numpy as np

from .pieces import Kind, PieceTable


def piece_bases(table: PieceTable, keyframes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-piece base and delta for `coords = base + t * delta`.

    keyframes: (R, *S) float64 state keyframes in row order. Returns base (P, *S), the
    keyframe the piece starts from, and delta (P, *S): kf1 - kf0 for INTERP pieces, -0.0
    elsewhere, because x + (t * -0.0) == x bit for bit for every x (also -0.0) when t >= 0,
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


def blend(base: np.ndarray, delta: np.ndarray, pid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(N, *S) = base[pid] + t * delta[pid]; base, delta: (P, *S); pid: (N,) int64; t: (N,)."""
    out = np.take(delta, pid, axis=0)
    out *= t.reshape((-1,) + (1,) * (out.ndim - 1))
    out += np.take(base, pid, axis=0)
    return out


class LinearKernel:
    """BBOX (N, 2, 2) and POINT (N, 1, D) states."""

    def __init__(self, table: PieceTable, keyframes: np.ndarray) -> None:
        self.base, self.delta = piece_bases(table, keyframes)

    def evaluate(
        self, pid: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        return blend(self.base, self.delta, pid, t), None, None
