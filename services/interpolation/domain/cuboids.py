"""CUBOID: position and dimensions linear, yaw on the shorter arc, quaternion by slerp."""

from __future__ import annotations

import numpy as np

from .angles import slerp, slerp_setup, wrap_angle, wrap_delta
from .linear import CHUNK, blend_into, per_time, piece_bases
from .pieces import Kind, PieceTable

YAW = 6
QUAT = slice(7, 11)


class CuboidKernel:
    """States (N, W): [px, py, pz, dx, dy, dz, yaw] (+ [qx, qy, qz, qw] when W == 11)."""

    def __init__(self, table: PieceTable, stack: np.ndarray) -> None:
        """stack: (R, W) float64 state keyframes in row order, W = 7, or 11 when any has a
        quaternion (NaN in columns 7:11 of those without)."""
        width = stack.shape[1]
        base, delta = piece_bases(table, stack)
        interp = table.kind == Kind.INTERP
        # Yaw: the shorter arc; the other columns of `delta` are already kf1 - kf0.
        delta[interp, YAW] = wrap_delta(delta[interp, YAW])
        if width == 11:
            delta[:, QUAT] = -0.0  # quaternions are not linear: slerped below, else copied
        extra = table.kind == Kind.EXTRAPOLATE
        if extra.any():
            # Position moves on at the velocity of the last two state keyframes (span is 1:
            # the rate is that velocity, per frame or per unit of timestamp).
            prev = stack[table.kf1[extra], :3]
            elapsed = (table.x0[extra] - table.x1[extra])[:, None]
            delta[extra, :3] = (base[extra, :3] - prev) / elapsed
        self.base, self.rate, self.width = base, per_time(delta, table.span), width
        self.span = table.span
        # Slerp constants for the INTERP pieces that carry quaternions, by piece id.
        self.slerp_slot = np.full(table.start.shape[0], -1, dtype=np.int64)
        if width == 11:
            pieces = np.flatnonzero(interp & ~np.isnan(base[:, 7]))
            self.slerp_slot[pieces] = np.arange(pieces.shape[0])
            self.slerp_consts = slerp_setup(base[pieces, QUAT], stack[table.kf1[pieces], QUAT])

    def _chunk(self, pid: np.ndarray, elapsed: np.ndarray, out: np.ndarray) -> None:
        blend_into(self.base, self.rate, pid, elapsed, out)
        wrap_angle(out[:, YAW])  # in place, through the column view
        if self.width == 11:
            slot = self.slerp_slot[pid]
            rows = np.flatnonzero(slot >= 0)
            if rows.size:
                q0, q1, theta, sin_theta, lerp = (c[slot[rows]] for c in self.slerp_consts)
                t = elapsed[rows] / self.span[pid[rows]]
                out[rows, QUAT] = slerp(q0, q1, theta, sin_theta, lerp, t)

    def evaluate(
        self, pid: np.ndarray, elapsed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        n = pid.shape[0]
        out = np.empty((n, self.width))
        for a in range(0, n, CHUNK):
            self._chunk(pid[a : a + CHUNK], elapsed[a : a + CHUNK], out[a : a + CHUNK])
        return out, None, None
