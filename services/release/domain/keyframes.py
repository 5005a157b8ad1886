"""A stored sequence label (keyframes only) as tracks, to be interpolated inline.

The release sends the keyframes it read as of its label revision together with the
frames it read as of its dataset revision, so the frames written come from exactly the
pinned state (a stored-label reference would read the sample's frames as they are now,
and fail for a sample deleted after the release was accepted). The shapes are those of
services/labeling/domain/formats.py; track-level attributes move to the track.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class KeyframeSpec:
    frame: int
    removed: bool = False
    coordinates: list[float] = field(default_factory=list)
    visibility: list[int] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrackSpec:
    track_id: int
    category_id: int
    geometry: str
    keyframes: list[KeyframeSpec] = field(default_factory=list)
    track_attributes: dict[str, Any] = field(default_factory=dict)


def _coordinates(annotation: Mapping[str, Any], geometry: str) -> list[float]:
    if geometry == "cuboid":
        p, d = annotation["position"], annotation["dimensions"]
        values = [p["x"], p["y"], p["z"], d["x"], d["y"], d["z"], annotation.get("yaw", 0.0)]
        rotation = annotation.get("rotation")
        if rotation is not None:
            values += [rotation["qx"], rotation["qy"], rotation["qz"], rotation["qw"]]
        return [float(v) for v in values]
    return [float(c) for point in annotation["points"] for c in point]


def tracks_of(label: Mapping[str, Any],
              track_level: Mapping[int, frozenset[str]]) -> list[TrackSpec]:
    """The tracks of a (validated) stored sequence label, by track id.

    track_level: per category id, the names of its track-level attributes.
    """
    tracks: dict[int, TrackSpec] = {}
    for frame, entry in enumerate(label.get("frames") or []):
        if not isinstance(entry, dict):
            continue
        for annotation in entry.get("annotations") or []:
            if not annotation.get("is_keyframe") or "track_id" not in annotation:
                continue
            track_id = int(annotation["track_id"])
            geometry = str(annotation.get("type", ""))
            category_id = int(annotation.get("category_id", 0))
            track = tracks.setdefault(track_id, TrackSpec(track_id, category_id, geometry))
            attributes = dict(annotation.get("attributes") or {})
            names = track_level.get(track.category_id, frozenset())
            for name in [k for k in attributes if k in names]:
                track.track_attributes.setdefault(name, attributes.pop(name))
            if annotation.get("removed"):
                track.keyframes.append(KeyframeSpec(frame, removed=True))
                continue
            visibility: list[int] = []
            if geometry == "keypoints":
                given = annotation.get("visibility")
                visibility = ([int(v) for v in given] if given is not None
                              else [2] * len(annotation["points"]))
            track.keyframes.append(KeyframeSpec(frame, coordinates=_coordinates(
                annotation, geometry), visibility=visibility, attributes=attributes))
    return [tracks[t] for t in sorted(tracks)]


def track_level_names(dataset: Mapping[str, Any]) -> dict[int, frozenset[str]]:
    """Per category id of a release file's dataset header, its track-level attributes."""
    return {int(c["id"]): frozenset(a["name"] for a in c.get("attributes") or []
                                    if a.get("is_track_level"))
            for c in dataset.get("task_attributes", {}).get("categories", [])}
