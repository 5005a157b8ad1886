"""Tracks as columns: the engine's fast input, checked without a Python step per keyframe.

A list of `Track` objects (the convenient input) becomes a `TrackTable` first; the service
decodes a request straight into one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .tracks import Geometry


def ragged_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(sum counts,) int64: concatenated ranges starts[n] .. starts[n] + counts[n]."""
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(ends[-1] if ends.size else 0)


def offsets_of(counts: np.ndarray) -> np.ndarray:
    """(n,) counts -> (n,) int64 start of each run in the concatenation."""
    return cast(np.ndarray, np.cumsum(counts) - counts)


@dataclass(frozen=True, eq=False)
class TrackTable:
    """T tracks and their M keyframes, as arrays.

    Per track: track_id, category_id (T,) int64; geometry (T,) tuple of `Geometry`;
    dimensions (T,) int64, the point dimension of POINT, POLYGON and POLYLINE (2 or 3; 2 for
    the other geometries); track_attributes (T,) mappings; keyframe_counts (T,) int64.

    Per keyframe, grouped by track in track order, in any frame order within a track:
    frame (M,) int64; removed (M,) bool; attributes (M,) mappings; value_counts (M,) int64
    with values (sum,) float64, the coordinates flat in the `Track` layout row by row (a
    bbox x0, y0, x1, y1; a cuboid its 7 or 11 values), none for a remove-keyframe;
    visibility_counts (M,) int64 with visibility (sum,) int32, the KEYPOINTS flags.
    """

    track_id: np.ndarray
    category_id: np.ndarray
    geometry: tuple[Geometry, ...]
    dimensions: np.ndarray
    track_attributes: tuple[Mapping[str, Any], ...]
    keyframe_counts: np.ndarray
    frame: np.ndarray
    removed: np.ndarray
    attributes: tuple[Mapping[str, Any], ...]
    value_counts: np.ndarray
    values: np.ndarray
    visibility_counts: np.ndarray
    visibility: np.ndarray

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @property
    def keyframe_track(self) -> np.ndarray:
        """(M,) int64: each keyframe's track."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.keyframe_counts)

    @property
    def keyframe_position(self) -> np.ndarray:
        """(M,) int64: each keyframe's position in its track's keyframes (for error paths)."""
        m = self.frame.shape[0]
        position: np.ndarray = np.arange(m, dtype=np.int64) - np.repeat(
            offsets_of(self.keyframe_counts), self.keyframe_counts
        )
        return position

    def select(self, keep: np.ndarray) -> TrackTable:
        """The tracks where `keep` (T,) bool is true, in order."""
        rows = np.flatnonzero(keep)
        kf_keep = np.repeat(keep, self.keyframe_counts)
        kf_rows = np.flatnonzero(kf_keep)
        value_keep = np.repeat(kf_keep, self.value_counts)
        visibility_keep = np.repeat(kf_keep, self.visibility_counts)
        return TrackTable(
            track_id=self.track_id[rows],
            category_id=self.category_id[rows],
            geometry=tuple(self.geometry[i] for i in rows.tolist()),
            dimensions=self.dimensions[rows],
            track_attributes=tuple(self.track_attributes[i] for i in rows.tolist()),
            keyframe_counts=self.keyframe_counts[rows],
            frame=self.frame[kf_rows],
            removed=self.removed[kf_rows],
            attributes=tuple(self.attributes[i] for i in kf_rows.tolist()),
            value_counts=self.value_counts[kf_rows],
            values=self.values[value_keep],
            visibility_counts=self.visibility_counts[kf_rows],
            visibility=self.visibility[visibility_keep],
        )


def concatenate(parts: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
