"""What the release needs to read a stored sequence label (keyframes only) as tracks,
to be interpolated inline.

The release sends the keyframes it read as of its label revision together with the
frames it read as of its dataset revision, so the frames written come from exactly the
pinned state (a stored-label reference would read the sample's frames as they are now,
and fail for a sample deleted after the release was accepted). The label is read by the
reader every service shares (shared.labels.sequences.keyframe_tracks); the release only
says, from its file's dataset header, which attributes are track-level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def track_level_names(dataset: Mapping[str, Any]) -> dict[int, frozenset[str]]:
    """Per category id of a release file's dataset header, its track-level attributes."""
    return {int(c["id"]): frozenset(a["name"] for a in c.get("attributes") or []
                                    if a.get("is_track_level"))
            for c in dataset.get("task_attributes", {}).get("categories", [])}
