"""POLYGON, POLYLINE, KEYPOINTS: states with a per-state vertex count, stored flat."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .linear import CHUNK, blend_into
from .pieces import Kind, PieceTable
from .table import ragged_index

Pairing = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


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
        interp = np.flatnonzero(table.kind == Kind.INTERP)
        k0, k1 = table.kf0[interp], table.kf1[interp]
        # One batch per (count before, count after): the pairing kernels are vectorised.
        groups: dict[tuple[int, int], list[int]] = {}
        for j, key in enumerate(zip(counts[k0].tolist(), counts[k1].tolist(), strict=True)):
            groups.setdefault(key, []).append(j)
        for members in groups.values():
            sel = np.array(members)
            a = np.stack([keyframes[r] for r in k0[sel].tolist()])
            b = np.stack([keyframes[r] for r in k1[sel].tolist()])
            if pairing is not None:
                a, b = pairing(a, b)
            n_shapes, n_vertices = a.shape[:2]
            base_parts.append(a.reshape(-1, dim))
            delta_parts.append((b - a).reshape(-1, dim))
            if visibility:  # visibility steps: from the keyframe before
                vis_parts.extend(visibility[r] for r in k0[sel].tolist())
            pieces = interp[sel]
            self.vstart[pieces] = row + np.arange(n_shapes) * n_vertices
            self.vcount[pieces] = n_vertices
            row += n_shapes * n_vertices
        self.base = np.concatenate(base_parts)
        # Per vertex change per unit of time (-0.0 on keyframe and hold runs).
        span = np.full(self.base.shape[0], np.inf)
        interp = np.flatnonzero(table.kind == Kind.INTERP)
        span[ragged_index(self.vstart[interp], self.vcount[interp])] = np.repeat(
            table.span[interp], self.vcount[interp]
        )
        self.rate = np.concatenate(delta_parts) / span[:, None]
        self.visibility = np.concatenate(vis_parts).astype(np.int32) if visibility else None

    def evaluate(
        self, pid: np.ndarray, elapsed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """pid, elapsed: (N,) -> coords (sum V, D), vertex_counts (N,), visibility (sum V,)."""
        counts = self.vcount[pid]
        offsets = np.zeros(counts.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        total = int(offsets[-1])
        coords = np.empty((total, self.base.shape[1]))
        vis = None if self.visibility is None else np.empty(total, dtype=np.int32)
        # Chunks of whole states holding about CHUNK vertices each.
        cuts = np.unique(np.searchsorted(offsets, np.arange(0, total, CHUNK), side="right") - 1)
        cuts = np.append(cuts, counts.shape[0]) if total else cuts
        starts = self.vstart[pid]
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            index = ragged_index(starts[a:b], counts[a:b])
            va, vb = int(offsets[a]), int(offsets[b])
            blend_into(
                self.base, self.rate, index, np.repeat(elapsed[a:b], counts[a:b]), coords[va:vb]
            )
            if vis is not None and self.visibility is not None:
                np.take(self.visibility, index, out=vis[va:vb], mode="clip")
        return coords, counts, vis
