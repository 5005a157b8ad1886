"""A request's input as the engine takes it, wherever it came from (inline keyframes
converted by the transport, or a stored label read by the peers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .table import TrackTable
from .tracks import InterpolationOptions


@dataclass(frozen=True)
class Source:
    """Everything the engine needs, and the request field it came from (for errors)."""

    tracks: TrackTable
    frame_count: int
    timestamps: np.ndarray | None  # for the engine (when interpolating by time)
    frame_timestamps: np.ndarray | None  # for the output frames, when known
    options: InterpolationOptions
    field: str
