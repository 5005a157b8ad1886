"""The frame-block driver: validate once, precompute per-piece parameters, then compute any
run of frames with a few vectorised operations per geometry family."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np

from .blocks import FrameBlock, GeometryColumns
from .cuboids import CuboidKernel
from .errors import InterpolationInputError
from .linear import LinearKernel
from .pieces import PieceTable, build_pieces
from .ragged import RaggedKernel
from .shapes import pair_shapes
from .table import TrackTable
from .tracks import Geometry, InterpolationOptions, Track
from .validation import (
    CheckedFamily,
    check_frame_count,
    check_table,
    check_timestamps,
    table_from_tracks,
)

DEFAULT_BLOCK_FRAMES = 256


class Kernel(Protocol):
    def evaluate(
        self, pid: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]: ...


@dataclass(frozen=True, eq=False)
class _Family:
    geometry: Geometry
    table: PieceTable
    kernel: Kernel
    track_index: np.ndarray  # (T,) int64: the family's tracks in the request
    attribute_index: np.ndarray  # (P,) int64: per piece, into the request's attributes
    piece_track_index: np.ndarray  # (P,) int64: per piece, its track in the request


class _Scratch:
    """Working memory for the blocks of one family, reused from block to block: fresh pages
    cost more than the arithmetic done on them. Output arrays are always new."""

    def __init__(self, frames: int, track_index: np.ndarray) -> None:
        n_tracks = track_index.shape[0]
        self.grid = np.empty((frames, n_tracks), dtype=np.int64)
        self.present = np.empty((frames, n_tracks), dtype=bool)
        self.elapsed = np.empty((frames, n_tracks))
        self.pid = np.empty(frames * n_tracks, dtype=np.int64)
        self.flat_elapsed = np.empty(frames * n_tracks)


def _kernel(family: CheckedFamily, table: PieceTable) -> Kernel:
    geometry = family.geometry
    if geometry is Geometry.CUBOID:
        has_rotation = (family.table.value_counts[family.rows] == 11).any()
        return CuboidKernel(table, family.state_values(11 if has_rotation else 7))
    if geometry in (Geometry.BBOX, Geometry.POINT):
        shape = (2, 2) if geometry is Geometry.BBOX else (1, family.dimension)
        return LinearKernel(table, family.state_values(shape[0] * shape[1]).reshape(-1, *shape))
    if geometry is Geometry.KEYPOINTS:
        return RaggedKernel(table, family.state_arrays(), family.state_visibility(), None)
    closed = geometry is Geometry.POLYGON
    return RaggedKernel(table, family.state_arrays(), None, partial(pair_shapes, closed=closed))


class InterpolationPlan:
    """A validated request with its per-piece parameters; computes blocks of frames."""

    def __init__(
        self,
        tracks: Sequence[Track] | TrackTable,
        frame_count: int,
        *,
        timestamps: np.ndarray | None = None,
        options: InterpolationOptions = InterpolationOptions(),  # noqa: B008 (frozen)
    ) -> None:
        """tracks: `Track` objects, or a `TrackTable` (the fast input: no Python step per
        keyframe)."""
        self.frame_count = check_frame_count(frame_count)
        table = tracks if isinstance(tracks, TrackTable) else table_from_tracks(tracks)
        families = check_table(table, self.frame_count)
        ts = check_timestamps(timestamps, self.frame_count)
        self._times = ts if options.by_timestamp else None
        self.track_ids = table.track_id
        self.category_ids = table.category_id
        self.geometries = table.geometry
        self.track_attributes: tuple[Mapping[str, Any], ...] = table.track_attributes
        attributes: list[Mapping[str, Any]] = []
        attribute_tracks: list[np.ndarray] = []
        self._families: list[_Family] = []
        for family in families:
            pieces = build_pieces(
                family,
                self.frame_count,
                self._time_at,
                extrapolate=options.extrapolate_cuboid_position
                and family.geometry is Geometry.CUBOID,
            )
            self._families.append(
                _Family(
                    geometry=family.geometry,
                    table=pieces,
                    kernel=_kernel(family, pieces),
                    track_index=family.track_index,
                    attribute_index=np.where(pieces.kf0 >= 0, pieces.kf0 + len(attributes), -1),
                    piece_track_index=family.track_index[pieces.col],
                )
            )
            attributes.extend(family.state_attributes())
            attribute_tracks.append(family.table.keyframe_track[family.rows])
        self.attributes: tuple[Mapping[str, Any], ...] = tuple(attributes)
        # (A,) int64: the request track of each entry of `attributes`.
        self.attribute_tracks = np.concatenate([np.zeros(0, dtype=np.int64), *attribute_tracks])

    def _time_at(self, frames: np.ndarray) -> np.ndarray:
        """(n,) int64 frames -> (n,) float64 times: timestamps if interpolating by time."""
        return frames.astype(np.float64) if self._times is None else self._times[frames]

    def _columns(self, fam: _Family, start: int, stop: int, scratch: _Scratch) -> GeometryColumns:
        table = fam.table
        frames, n_tracks = stop - start, table.n_tracks
        grid = table.grid(start, stop, out=scratch.grid[:frames])  # (F, T) piece ids
        present = np.take(table.present, grid, out=scratch.present[:frames], mode="clip")
        per_frame = np.count_nonzero(present, axis=1)
        times = (
            np.arange(start, stop, dtype=np.float64)
            if self._times is None
            else self._times[start:stop]
        )
        n = int(per_frame.sum())
        flat = present.reshape(-1)
        everywhere = n == frames * n_tracks  # every track on every frame: no compaction
        pid = grid.reshape(-1) if everywhere else np.compress(flat, grid, out=scratch.pid[:n])
        row = np.repeat(np.arange(frames, dtype=np.int64), per_frame)  # frame within block
        if isinstance(fam.kernel, LinearKernel):
            # Elapsed time is gathered per state inside the kernel: none computed here.
            coords = fam.kernel.evaluate_rows(pid, row, times)
            counts = visibility = None
        else:
            # Time since each piece's keyframe, on the whole grid first (cheap broadcasting).
            elapsed = np.take(table.origin, grid, out=scratch.elapsed[:frames], mode="clip")
            np.subtract(times[:, None], elapsed, out=elapsed)
            elapsed = elapsed.reshape(-1)
            if not everywhere:
                elapsed = np.compress(flat, elapsed, out=scratch.flat_elapsed[:n])
            coords, counts, visibility = fam.kernel.evaluate(pid, elapsed)
        track_index = (
            np.tile(fam.track_index, frames) if everywhere else fam.piece_track_index[pid]
        )
        return GeometryColumns(
            geometry=fam.geometry,
            frame_index=row + start,
            track_index=track_index,
            is_keyframe=table.is_keyframe[pid],
            attribute_index=fam.attribute_index[pid],
            coords=coords,
            vertex_counts=counts,
            visibility=visibility,
        )

    def block(self, start: int, stop: int, scratch: list[_Scratch] | None = None) -> FrameBlock:
        """The states on frames [start, stop) (0 <= start < stop <= frame_count); `scratch`
        (from `scratch`) lets consecutive blocks reuse their working memory."""
        if not 0 <= start < stop <= self.frame_count:
            raise InterpolationInputError(
                "stop", f"need 0 <= start < stop <= {self.frame_count}, got [{start}, {stop})"
            )
        if scratch is None:
            scratch = self.scratch(stop - start)
        return FrameBlock(
            start=start,
            stop=stop,
            frames=np.arange(start, stop, dtype=np.int64),
            columns={
                f.geometry: self._columns(f, start, stop, s)
                for f, s in zip(self._families, scratch, strict=True)
            },
            track_ids=self.track_ids,
            category_ids=self.category_ids,
            attributes=self.attributes,
            track_attributes=self.track_attributes,
        )

    def check_range(self, start: int, stop: int | None, block_frames: int) -> int:
        if not isinstance(start, int | np.integer) or not 0 <= start <= self.frame_count:
            raise InterpolationInputError("start", f"must be in [0, {self.frame_count}]")
        stop = self.frame_count if stop is None else stop
        if not isinstance(stop, int | np.integer) or not start <= stop <= self.frame_count:
            raise InterpolationInputError("stop", f"must be in [start, {self.frame_count}]")
        if not isinstance(block_frames, int | np.integer) or block_frames < 1:
            raise InterpolationInputError("block_frames", "must be an integer >= 1")
        return int(stop)

    def iter_blocks(
        self, start: int = 0, stop: int | None = None, block_frames: int = DEFAULT_BLOCK_FRAMES
    ) -> Iterator[FrameBlock]:
        """Blocks of at most `block_frames` frames covering [start, stop); arguments are
        checked now, not on the first `next()`."""
        end = self.check_range(start, stop, block_frames)
        return self._blocks(int(start), end, int(block_frames))

    def _blocks(self, start: int, stop: int, block_frames: int) -> Iterator[FrameBlock]:
        scratch = self.scratch(min(block_frames, stop - start))
        for s in range(start, stop, block_frames):
            yield self.block(s, min(s + block_frames, stop), scratch)

    def scratch(self, frames: int) -> list[_Scratch]:
        """Working memory for blocks of up to `frames` frames, to pass to `block`."""
        return [_Scratch(frames, f.track_index) for f in self._families]


def iter_frame_blocks(
    tracks: Sequence[Track],
    frame_count: int,
    *,
    timestamps: np.ndarray | None = None,
    options: InterpolationOptions = InterpolationOptions(),  # noqa: B008 (frozen)
    start: int = 0,
    stop: int | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> Iterator[FrameBlock]:
    """Validate the request (raising `InterpolationInputError` here, eagerly), then yield the
    states of frames [start, stop) in blocks of `block_frames` consecutive frames."""
    plan = InterpolationPlan(tracks, frame_count, timestamps=timestamps, options=options)
    return plan.iter_blocks(start, stop, block_frames)


def frame_state(
    tracks: Sequence[Track],
    frame_count: int,
    frame: int,
    *,
    timestamps: np.ndarray | None = None,
    options: InterpolationOptions = InterpolationOptions(),  # noqa: B008 (frozen)
) -> FrameBlock:
    """The states on one frame, as a one-frame block."""
    plan = InterpolationPlan(tracks, frame_count, timestamps=timestamps, options=options)
    if not isinstance(frame, int | np.integer) or not 0 <= frame < plan.frame_count:
        raise InterpolationInputError("frame", f"must be in [0, {plan.frame_count})")
    return plan.block(int(frame), int(frame) + 1)
