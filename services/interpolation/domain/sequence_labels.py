"""Sequence labels (the label JSON of services/labeling/domain/formats.py) as tracks.

A stored sequence label keeps keyframes only; each annotation with `is_keyframe` true
becomes a keyframe of its track (`removed: true` a remove-keyframe). Attributes whose
definition is track-level become the track's attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import InterpolationInputError
from .tracks import Geometry, Keyframe, Track

GEOMETRIES = {g.value: g for g in Geometry}


def _cuboid_coords(annotation: Mapping[str, Any]) -> np.ndarray:
    position, dimensions = annotation["position"], annotation["dimensions"]
    values = [
        position["x"],
        position["y"],
        position["z"],
        dimensions["x"],
        dimensions["y"],
        dimensions["z"],
        annotation.get("yaw", 0.0),
    ]
    rotation = annotation.get("rotation")
    if rotation is not None:
        values += [rotation["qx"], rotation["qy"], rotation["qz"], rotation["qw"]]
    return np.asarray(values, dtype=np.float64)


def _keyframe(
    frame: int, annotation: Mapping[str, Any], geometry: Geometry, track_level: frozenset[str]
) -> tuple[Keyframe, dict[str, Any]]:
    attributes = dict(annotation.get("attributes") or {})
    track_attributes = {k: attributes.pop(k) for k in list(attributes) if k in track_level}
    if annotation.get("removed"):
        return Keyframe(frame=frame, removed=True), track_attributes
    if geometry is Geometry.CUBOID:
        coords = _cuboid_coords(annotation)
    else:
        coords = np.asarray(annotation["points"], dtype=np.float64)
    visibility = None
    if geometry is Geometry.KEYPOINTS:
        given = annotation.get("visibility")
        visibility = (
            np.asarray(given, dtype=np.int32)
            if given is not None
            else np.full(coords.shape[0], 2, dtype=np.int32)
        )
    return (
        Keyframe(frame=frame, coords=coords, visibility=visibility, attributes=attributes),
        track_attributes,
    )


def tracks_from_label(
    label: Mapping[str, Any], track_level: Mapping[int, frozenset[str]]
) -> list[Track]:
    """The tracks of a (validated) sequence label.

    track_level: per category id, the names of its track-level attributes.
    """
    keyframes: dict[int, list[Keyframe]] = {}
    heads: dict[int, tuple[int, Geometry]] = {}
    track_attributes: dict[int, dict[str, Any]] = {}
    for frame, entry in enumerate(label.get("frames") or []):
        for j, annotation in enumerate(entry.get("annotations") or []):
            if not annotation.get("is_keyframe") or "track_id" not in annotation:
                continue
            where = f"frames[{frame}].annotations[{j}]"
            geometry = GEOMETRIES.get(annotation.get("type", ""))
            if geometry is None:
                raise InterpolationInputError(f"{where}.type", "not an interpolable geometry")
            track_id = int(annotation["track_id"])
            category_id = int(annotation.get("category_id", 0))
            heads.setdefault(track_id, (category_id, geometry))
            names = track_level.get(category_id, frozenset())
            try:
                keyframe, level = _keyframe(frame, annotation, geometry, names)
            except (KeyError, TypeError, ValueError) as exc:
                raise InterpolationInputError(where, f"malformed annotation: {exc}") from exc
            keyframes.setdefault(track_id, []).append(keyframe)
            for key, value in level.items():
                track_attributes.setdefault(track_id, {}).setdefault(key, value)
    return [
        Track(
            track_id=track_id,
            category_id=heads[track_id][0],
            geometry=heads[track_id][1],
            keyframes=tuple(frames),
            track_attributes=track_attributes.get(track_id, {}),
        )
        for track_id, frames in sorted(keyframes.items())
    ]


def sensor_label(label: Mapping[str, Any], sensor: str) -> Mapping[str, Any] | None:
    """A multi-sensor label's sequence label of one sensor (the first when `sensor` is "")."""
    for entry in label.get("sensors") or []:
        if not sensor or entry.get("name") == sensor:
            return entry.get("attributes") or {}
    return None
