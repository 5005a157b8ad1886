"""Keyframe interpolation engine: pure numpy, no gRPC, no SQL (DESIGN §6)."""

from .blocks import FrameBlock, GeometryColumns, TrackState
from .engine import DEFAULT_BLOCK_FRAMES, InterpolationPlan, frame_state, iter_frame_blocks
from .errors import InterpolationInputError
from .table import TrackTable
from .tracks import Geometry, InterpolationOptions, Keyframe, Track

__all__ = [
    "DEFAULT_BLOCK_FRAMES",
    "FrameBlock",
    "Geometry",
    "GeometryColumns",
    "InterpolationInputError",
    "InterpolationOptions",
    "InterpolationPlan",
    "Keyframe",
    "Track",
    "TrackState",
    "TrackTable",
    "frame_state",
    "iter_frame_blocks",
]
