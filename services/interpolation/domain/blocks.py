"""Columnar output: the states of every track on a run of consecutive frames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tracks import Geometry

# Families whose states have a variable number of vertices, stored flat with vertex_counts.
RAGGED = frozenset({Geometry.POLYGON, Geometry.POLYLINE, Geometry.KEYPOINTS})


@dataclass(frozen=True, eq=False)
class GeometryColumns:
    """The N present states of one geometry family in a block, sorted by frame, then track.

    frame_index: (N,) int64, the state's frame (absolute index in the sequence).
    track_index: (N,) int64, index into the request's tracks.
    is_keyframe: (N,) bool.
    attribute_index: (N,) int64, index into `FrameBlock.attributes` (the per-frame attributes
        of the state keyframe at or before the frame; shared, not copied).
    coords: float64, by family:
        BBOX (N, 2, 2); POINT (N, 1, D); CUBOID (N, W), W = 11 when any cuboid of the request
        has a quaternion, else 7 (a cuboid without one then has NaN in columns 7:11);
        POLYGON, POLYLINE, KEYPOINTS flat (sum(vertex_counts), D), state n owning rows
        vertex_offsets[n]:vertex_offsets[n + 1].
    vertex_counts: (N,) int64 for the flat families, else None.
    visibility: KEYPOINTS (sum(vertex_counts),) int32, else None.
    """

    geometry: Geometry
    frame_index: np.ndarray
    track_index: np.ndarray
    is_keyframe: np.ndarray
    attribute_index: np.ndarray
    coords: np.ndarray
    vertex_counts: np.ndarray | None = None
    visibility: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.frame_index.shape[0])

    @property
    def vertex_offsets(self) -> np.ndarray | None:
        """(N + 1,) int64 row offsets into the flat coords, or None for fixed-size families."""
        if self.vertex_counts is None:
            return None
        offsets = np.zeros(self.vertex_counts.shape[0] + 1, dtype=np.int64)
        np.cumsum(self.vertex_counts, out=offsets[1:])
        return offsets

    def frame_offsets(self, frames: np.ndarray) -> np.ndarray:
        """(F + 1,) int64: the states of frames[i] are rows offsets[i]:offsets[i + 1].

        frames: (F,) int64 consecutive frames, e.g. `FrameBlock.frames`.
        """
        edges = np.append(frames, frames[-1] + 1) if frames.size else frames
        return np.searchsorted(self.frame_index, edges, side="left").astype(np.int64)

    def state_coords(self, n: int) -> np.ndarray:
        """The coordinates of state n in the input layout (slow path, one state)."""
        if self.vertex_counts is not None:
            offsets = self.vertex_offsets
            assert offsets is not None
            return self.coords[offsets[n] : offsets[n + 1]]
        row: np.ndarray = self.coords[n]
        if self.geometry is Geometry.CUBOID and row.shape[0] == 11 and np.isnan(row[7]):
            return row[:7]
        return row

    def state_visibility(self, n: int) -> np.ndarray | None:
        if self.visibility is None:
            return None
        offsets = self.vertex_offsets
        assert offsets is not None
        return self.visibility[offsets[n] : offsets[n + 1]]


@dataclass(frozen=True, eq=False)
class TrackState:
    """One object on one frame (a convenience view; the columns are the fast path)."""

    frame: int
    track_index: int
    track_id: int
    category_id: int
    geometry: Geometry
    is_keyframe: bool
    coords: np.ndarray
    visibility: np.ndarray | None
    attributes: Mapping[str, Any]
    track_attributes: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class FrameBlock:
    """The states on frames [start, stop), per geometry family present in the request.

    frames: (F,) int64 = arange(start, stop).
    columns: one `GeometryColumns` per geometry that has tracks in the request (possibly
        with no state in this block), in `Geometry` order.
    track_ids, category_ids: (T,) int64 per request track, so `track_ids[track_index]`
        gives the ids of the states without a Python loop.
    attributes: the per-frame attribute dicts of all state keyframes (the same tuple in
        every block of a request); track_attributes: per request track.
    """

    start: int
    stop: int
    frames: np.ndarray
    columns: Mapping[Geometry, GeometryColumns]
    track_ids: np.ndarray
    category_ids: np.ndarray
    attributes: tuple[Mapping[str, Any], ...]
    track_attributes: tuple[Mapping[str, Any], ...]

    @property
    def num_states(self) -> int:
        return sum(len(c) for c in self.columns.values())

    def states(self) -> list[TrackState]:
        """All states as objects, sorted by frame, then track (slow path: tests, small uses)."""
        out: list[TrackState] = []
        for geometry, col in self.columns.items():
            for n in range(len(col)):
                ti = int(col.track_index[n])
                out.append(
                    TrackState(
                        frame=int(col.frame_index[n]),
                        track_index=ti,
                        track_id=int(self.track_ids[ti]),
                        category_id=int(self.category_ids[ti]),
                        geometry=geometry,
                        is_keyframe=bool(col.is_keyframe[n]),
                        coords=col.state_coords(n),
                        visibility=col.state_visibility(n),
                        attributes=self.attributes[int(col.attribute_index[n])],
                        track_attributes=self.track_attributes[ti],
                    )
                )
        out.sort(key=lambda s: (s.frame, s.track_index))
        return out
