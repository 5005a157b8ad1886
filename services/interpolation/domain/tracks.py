"""Input types of the interpolation engine: tracks of keyframes.

Coordinate layouts (float64):
- BBOX (2, 2): [[x0, y0], [x1, y1]]
- POINT (1, D), D in {2, 3}
- POLYGON (V >= 3, D), POLYLINE (V >= 2, D), D in {2, 3}
- KEYPOINTS (K, 2) plus visibility (K,) int32
- CUBOID (7,) [px, py, pz, dx, dy, dz, yaw] or (11,) with a quaternion [qx, qy, qz, qw]
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Geometry(enum.Enum):
    BBOX = "bbox"
    POINT = "point"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    KEYPOINTS = "keypoints"
    CUBOID = "cuboid"


# eq=False: the fields hold numpy arrays, whose `==` is elementwise, not a bool.
@dataclass(frozen=True, eq=False)
class Keyframe:
    """One user-set frame of a track: a state, or a remove-keyframe (`removed=True`)."""

    frame: int
    removed: bool = False
    coords: np.ndarray | None = None
    visibility: np.ndarray | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Track:
    """An object followed across frames; keyframes may come in any order."""

    track_id: int
    category_id: int
    geometry: Geometry
    keyframes: tuple[Keyframe, ...]
    track_attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InterpolationOptions:
    """Dataset-level interpolation settings."""

    # Use t from the frames' timestamps when timestamps are given.
    by_timestamp: bool = False
    # After the last state keyframe, move a cuboid's position on at the velocity of the last
    # two state keyframes (when no remove-keyframe is between them); otherwise hold it.
    extrapolate_cuboid_position: bool = False
