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
from .tracks import Geometry, InterpolationOptions, Track
from .validation import CheckedTrack, check_frame_count, check_timestamps, check_tracks

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


def _state_rows(tracks: Sequence[CheckedTrack], name: str) -> list[Any]:
    """A per-keyframe field of the state keyframes, in the family's row order."""
    return [
        v for t in tracks for v, gone in zip(getattr(t, name), t.removed, strict=True) if not gone
    ]


def _check_family_dimension(geometry: Geometry, tracks: Sequence[CheckedTrack]) -> None:
    """One coordinate dimension per family, so its states fit one array."""
    dim = None
    for t in tracks:
        for coords, source in zip(t.coords, t.source, strict=True):
            if coords is None:
                continue
            if dim is None:
                dim = coords.shape[1]
            elif coords.shape[1] != dim:
                raise InterpolationInputError(
                    f"tracks[{t.index}].keyframes[{int(source)}].coords",
                    f"dimension {coords.shape[1]} differs from other {geometry.name} tracks' {dim}",
                )
            break


def _kernel(geometry: Geometry, table: PieceTable, tracks: Sequence[CheckedTrack]) -> Kernel:
    coords = _state_rows(tracks, "coords")
    if geometry is Geometry.CUBOID:
        return CuboidKernel(table, coords)
    _check_family_dimension(geometry, tracks)
    if geometry in (Geometry.BBOX, Geometry.POINT):
        dim = coords[0].shape[1] if coords else 2
        stack = (
            np.stack(coords)
            if coords
            else np.zeros((0, 1 if geometry is Geometry.POINT else 2, dim))
        )
        return LinearKernel(table, stack)
    if geometry is Geometry.KEYPOINTS:
        return RaggedKernel(table, coords, _state_rows(tracks, "visibility"), None)
    closed = geometry is Geometry.POLYGON
    return RaggedKernel(table, coords, None, partial(pair_shapes, closed=closed))


class InterpolationPlan:
    """A validated request with its per-piece parameters; computes blocks of frames."""

    def __init__(
        self,
        tracks: Sequence[Track],
        frame_count: int,
        *,
        timestamps: np.ndarray | None = None,
        options: InterpolationOptions = InterpolationOptions(),  # noqa: B008 (frozen)
    ) -> None:
        self.frame_count = check_frame_count(frame_count)
        checked = check_tracks(tracks, self.frame_count)
        ts = check_timestamps(timestamps, self.frame_count)
        self._times = ts if options.by_timestamp else None
        self.track_ids = np.array([c.track.track_id for c in checked], dtype=np.int64)
        self.category_ids = np.array([c.track.category_id for c in checked], dtype=np.int64)
        self.track_attributes: tuple[Mapping[str, Any], ...] = tuple(
            c.track.track_attributes for c in checked
        )
        attributes: list[Mapping[str, Any]] = []
        self._families: list[_Family] = []
        for geometry in Geometry:
            members = [c for c in checked if c.track.geometry is geometry]
            if not members:
                continue
            table = build_pieces(
                members,
                self.frame_count,
                self._time_at,
                extrapolate=options.extrapolate_cuboid_position and geometry is Geometry.CUBOID,
            )
            kernel = _kernel(geometry, table, members)
            self._families.append(
                _Family(
                    geometry=geometry,
                    table=table,
                    kernel=kernel,
                    track_index=np.array([c.index for c in members], dtype=np.int64),
                    attribute_index=np.where(table.kf0 >= 0, table.kf0 + len(attributes), -1),
                )
            )
            attributes.extend(_state_rows(members, "attributes"))
        self.attributes: tuple[Mapping[str, Any], ...] = tuple(attributes)

    def _time_at(self, frames: np.ndarray) -> np.ndarray:
        """(n,) int64 frames -> (n,) float64 times: timestamps if interpolating by time."""
        return frames.astype(np.float64) if self._times is None else self._times[frames]

    def _columns(self, fam: _Family, start: int, stop: int) -> GeometryColumns:
        table = fam.table
        grid = table.grid(start, stop)  # (F, T) piece ids
        present = table.present[grid]
        n_tracks = table.n_tracks
        if self._times is None:
            times = np.arange(start, stop, dtype=np.float64)
        else:
            times = self._times[start:stop]
        if present.all():  # every track on every frame: skip the compaction
            pid = grid.reshape(-1)
            frame_index = np.repeat(np.arange(start, stop, dtype=np.int64), n_tracks)
            track_index = np.tile(fam.track_index, stop - start)
            x = np.repeat(times, n_tracks)
        else:
            rows, cols = np.nonzero(present)
            pid = grid[rows, cols]
            frame_index = rows + start
            track_index = fam.track_index[cols]
            x = times[rows]
        x -= table.origin[pid]
        x /= table.span[pid]  # t; 0 on keyframes and holds (span = inf)
        coords, counts, visibility = fam.kernel.evaluate(pid, x)
        return GeometryColumns(
            geometry=fam.geometry,
            frame_index=frame_index.astype(np.int64, copy=False),
            track_index=track_index,
            is_keyframe=table.is_keyframe[pid],
            attribute_index=fam.attribute_index[pid],
            coords=coords,
            vertex_counts=counts,
            visibility=visibility,
        )

    def block(self, start: int, stop: int) -> FrameBlock:
        """The states on frames [start, stop) (0 <= start < stop <= frame_count)."""
        return FrameBlock(
            start=start,
            stop=stop,
            frames=np.arange(start, stop, dtype=np.int64),
            columns={f.geometry: self._columns(f, start, stop) for f in self._families},
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
        return (
            self.block(s, min(s + block_frames, end)) for s in range(int(start), end, block_frames)
        )


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
