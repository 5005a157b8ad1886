"""Stored sequence labels as the engine's tracks.

The label document is read by the one reader every service shares
(shared.labels.sequences: keyframes, remove-keyframes, track-level attributes); this
module only turns its tracks into numpy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from shared.labels.sequences import (
    LabelFormatError,
    StoredKeyframe,
    StoredTrack,
    keyframe_tracks,
)

from .errors import InterpolationInputError
from .tracks import Geometry, Keyframe, Track

GEOMETRIES = {g.value: g for g in Geometry}


def _keyframe(keyframe: StoredKeyframe) -> Keyframe:
    if keyframe.removed:
        return Keyframe(frame=keyframe.frame, removed=True)
    coords = np.asarray(keyframe.cuboid or keyframe.points, dtype=np.float64)
    visibility = (np.asarray(keyframe.visibility, dtype=np.int32)
                  if keyframe.visibility is not None else None)
    return Keyframe(frame=keyframe.frame, coords=coords, visibility=visibility,
                    attributes=keyframe.attributes)


def _track(track: StoredTrack) -> Track:
    return Track(track_id=track.track_id, category_id=track.category_id,
                 geometry=GEOMETRIES[track.geometry],
                 keyframes=tuple(_keyframe(k) for k in track.keyframes),
                 track_attributes=track.track_attributes)


def tracks_from_label(
    label: Mapping[str, Any], track_level: Mapping[int, frozenset[str]]
) -> list[Track]:
    """The tracks of a (validated) sequence label.

    track_level: per category id, the names of its track-level attributes.
    """
    try:
        stored = keyframe_tracks(label, track_level)
    except LabelFormatError as exc:
        raise InterpolationInputError(exc.path, exc.message) from exc
    return [_track(t) for t in stored]
