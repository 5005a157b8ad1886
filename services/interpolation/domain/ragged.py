"""POLYGON, POLYLINE, KEYPOINTS: states with a per-state vertex count, stored flat."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .pieces import Kind, PieceTable

Pairing = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def ragged_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(sum counts,) int64: concatenated ranges starts[n] .. starts[n] + counts[n]."""
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(ends[-1] if ends.size else 0)


class RaggedKernel:
    """Each piece owns a run of rows in flat base/delta (and visibility) vertex arrays.

    Keyframes and holds point at the keyframe's own vertices (delta -0.0, copied exactly);
    each INTERP piece gets its own run with the paired (equalised, aligned) vertices.
    """

    def __init__(
        self,
        table: PieceTable,
        keyframes: list[np.ndarray],
        visibility: list[np.ndarray] | None,
        pairing: Pairing | None,
    ) -> None:
        """keyframes: (V_r, D) per state keyframe in row order; visibility: (V_r,) int32 per
        keyframe (KEYPOINTS) or None; pairing: makes two shapes blendable (None: as is)."""
        counts = np.array([k.shape[0] for k in keyframes], dtype=np.int64)
        offsets = np.cumsum(counts) - counts
        dim = keyframes[0].shape[1] if keyframes else 2
        base_parts = [np.concatenate(keyframes) if keyframes else np.zeros((0, dim))]
        vis_parts = [np.concatenate(visibility)] if visibility else []
        n_pieces = table.start.shape[0]
        self.vstart = np.zeros(n_pieces, dtype=np.int64)
        self.vcount = np.zeros(n_pieces, dtype=np.int64)
        shown = (table.kf0 >= 0) & (table.kind != Kind.INTERP)
        self.vstart[shown] = offsets[table.kf0[shown]]
        self.vcount[shown] = counts[table.kf0[shown]]
        delta_parts = [np.full_like(base_parts[0], -0.0)]
        row = int(counts.sum())
        for p in np.flatnonzero(table.kind == Kind.INTERP).tolist():
            k0, k1 = int(table.kf0[p]), int(table.kf1[p])
            a, b = keyframes[k0], keyframes[k1]
            if pairing is not None:
                a, b = pairing(a, b)
            base_parts.append(a)
            delta_parts.append(b - a)
            if visibility:
                vis_parts.append(visibility[k0])  # visibility steps: from the keyframe before
            self.vstart[p], self.vcount[p] = row, a.shape[0]
            row += a.shape[0]
        self.base = np.concatenate(base_parts)
        self.delta = np.concatenate(delta_parts)
        self.visibility = np.concatenate(vis_parts).astype(np.int32) if visibility else None

    def evaluate(
        self, pid: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """pid, t: (N,) -> coords (sum V, D), vertex_counts (N,), visibility (sum V,) | None."""
        counts = self.vcount[pid]
        index = ragged_index(self.vstart[pid], counts)
        coords = np.take(self.delta, index, axis=0)
        coords *= np.repeat(t, counts)[:, None]
        coords += np.take(self.base, index, axis=0)
        vis = None if self.visibility is None else np.take(self.visibility, index)
        return coords, counts, vis
