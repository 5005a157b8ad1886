"""The schedule of a geometry family: per track, runs of frames that follow one rule of §6.

A *piece* is a run of frames [start, stop) of one track with one rule: absent, the keyframe
itself, interpolation between two state keyframes, a hold of the last state, or a cuboid
extrapolation. Pieces are computed once per request (vectorised over keyframes); a block of
frames then only looks up which piece each (frame, track) falls in.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .validation import CheckedFamily


class Kind(enum.IntEnum):
    ABSENT = 0
    KEYFRAME = 1
    INTERP = 2
    HOLD = 3
    EXTRAPOLATE = 4


@dataclass(frozen=True, eq=False)
class PieceTable:
    """Pieces of one family, ordered by (col, start); each track's pieces tile [0, frame_count).

    start, stop: (P,) int64; col: (P,) int64, the track's column in the family;
    kind: (P,) int8 `Kind`; kf0: (P,) int64 state-keyframe row the piece shows or starts from
    (-1 when absent); kf1: (P,) int64 the row it moves to (INTERP) or the previous state
    keyframe (EXTRAPOLATE), else -1; x0, x1: (P,) float64 the time (frame or timestamp) of
    kf0 and kf1; origin, span: (P,) float64 with t = (x(f) - origin) / span, span = inf where
    t must be 0 (keyframe, hold), 1 for extrapolation (t = elapsed time).
    """

    n_tracks: int
    frame_count: int
    start: np.ndarray
    stop: np.ndarray
    col: np.ndarray
    kind: np.ndarray
    kf0: np.ndarray
    kf1: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    origin: np.ndarray
    span: np.ndarray
    present: np.ndarray
    is_keyframe: np.ndarray
    key: np.ndarray
    by_start: np.ndarray
    start_sorted: np.ndarray

    def pieces_at(self, frame: int) -> np.ndarray:
        """(T,) int64: the piece of every track that covers `frame`."""
        queries = np.arange(self.n_tracks, dtype=np.int64) * (self.frame_count + 1) + frame
        return np.searchsorted(self.key, queries, side="right") - 1

    def grid(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """(F, T) int64: the piece of every (frame, track) in [start, stop), into `out`.

        Row 0 gets the pieces covering `start`, each later piece start is written at its own
        (frame, col), and a running maximum down the frames fills the rest: piece ids grow
        with frame within a track, so the maximum is the latest piece started.
        """
        grid = np.empty((stop - start, self.n_tracks), dtype=np.int64) if out is None else out
        grid.fill(0)
        grid[0] = self.pieces_at(start)
        lo = np.searchsorted(self.start_sorted, start, side="right")
        hi = np.searchsorted(self.start_sorted, stop, side="left")
        pids = self.by_start[lo:hi]
        grid[self.start[pids] - start, self.col[pids]] = pids
        np.maximum.accumulate(grid, axis=0, out=grid)
        return grid


def _concat(parts: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def build_pieces(
    family: CheckedFamily,
    frame_count: int,
    time_at: Callable[[np.ndarray], np.ndarray],
    extrapolate: bool,
) -> PieceTable:
    """Pieces for the tracks of `family`; state keyframes are numbered in (track, frame)
    order, which is the row order of the family's keyframe arrays.

    time_at: maps (n,) int64 frames to (n,) float64 times (the frames, or their timestamps).
    """
    n_tracks = family.track_index.shape[0]
    counts = family.keyframe_counts
    col = np.repeat(np.arange(n_tracks, dtype=np.int64), counts)
    frame, removed = family.frame, family.removed
    m = frame.shape[0]
    state = ~removed
    srow = np.where(state, np.cumsum(state) - 1, -1)

    idx = np.arange(m)
    has_next = np.zeros(m, dtype=bool)
    has_next[:-1] = col[1:] == col[:-1]
    nxt = np.minimum(idx + 1, max(m - 1, 0))
    next_frame = np.where(has_next, frame[nxt], frame_count)
    next_state = has_next & state[nxt]
    has_prev = np.zeros(m, dtype=bool)
    has_prev[1:] = has_next[:-1]
    prv = np.maximum(idx - 1, 0)
    prev_state = has_prev & state[prv]

    # Columns of the piece parts: (start, stop, col, kind, kf0, kf1).
    parts: list[tuple[np.ndarray, ...]] = []
    s = state
    parts.append(
        (
            frame[s],
            frame[s] + 1,
            col[s],
            np.full(s.sum(), Kind.KEYFRAME),
            srow[s],
            np.full(s.sum(), -1),
        )
    )
    g = state & (next_frame > frame + 1)
    kind = np.where(
        next_state,
        Kind.INTERP,
        np.where(has_next | ~(extrapolate & prev_state), Kind.HOLD, Kind.EXTRAPOLATE),
    )
    kf1 = np.where(
        kind == Kind.INTERP, srow[nxt], np.where(kind == Kind.EXTRAPOLATE, srow[prv], -1)
    )
    parts.append((frame[g] + 1, next_frame[g], col[g], kind[g], srow[g], kf1[g]))
    r = removed
    parts.append(
        (
            frame[r],
            next_frame[r],
            col[r],
            np.full(r.sum(), Kind.ABSENT),
            np.full(r.sum(), -1),
            np.full(r.sum(), -1),
        )
    )
    # Before the first keyframe of each track (the whole sequence if it has none): absent.
    first = np.cumsum(counts) - counts
    lead_stop = np.where(
        counts > 0, frame[np.minimum(first, max(m - 1, 0))] if m else 0, frame_count
    )
    lead = lead_stop > 0
    parts.append(
        (
            np.zeros(lead.sum(), np.int64),
            lead_stop[lead],
            np.flatnonzero(lead),
            np.full(lead.sum(), Kind.ABSENT),
            np.full(lead.sum(), -1),
            np.full(lead.sum(), -1),
        )
    )

    start, stop, pcol, pkind, pkf0, pkf1 = (
        _concat([p[i] for p in parts], dt)
        for i, dt in enumerate((np.int64, np.int64, np.int64, np.int8, np.int64, np.int64))
    )
    key = pcol * (frame_count + 1) + start
    order = np.argsort(key, kind="stable")
    start, stop, pcol, pkind, pkf0, pkf1, key = (
        a[order] for a in (start, stop, pcol, pkind, pkf0, pkf1, key)
    )

    state_time = time_at(frame[state])
    x0 = np.where(pkf0 >= 0, state_time[np.maximum(pkf0, 0)] if state_time.size else 0.0, 0.0)
    x1 = np.where(pkf1 >= 0, state_time[np.maximum(pkf1, 0)] if state_time.size else 0.0, np.nan)
    span = np.full(start.shape[0], np.inf)
    interp = pkind == Kind.INTERP
    span[interp] = x1[interp] - x0[interp]
    span[pkind == Kind.EXTRAPOLATE] = 1.0
    by_start = np.argsort(start, kind="stable")
    return PieceTable(
        n_tracks=n_tracks,
        frame_count=frame_count,
        start=start,
        stop=stop,
        col=pcol,
        kind=pkind,
        kf0=pkf0,
        kf1=pkf1,
        x0=x0,
        x1=x1,
        origin=x0,
        span=span,
        present=pkind != Kind.ABSENT,
        is_keyframe=pkind == Kind.KEYFRAME,
        key=key,
        by_start=by_start,
        start_sorted=start[by_start],
    )
