"""Stored sequence labels read as tracks of keyframes: one reading for every service that
interpolates them (the interpolation service for a stored-label reference, the release
service for the sequences it writes out).

A stored vector or cuboid sequence label keeps keyframes only (shared/labels/format.py):
each annotation with `is_keyframe` true is a keyframe of its track, `removed: true` a
remove-keyframe. A track takes the category and geometry of its first keyframe (a
validated label keeps them on every keyframe); the attributes an annotation's category
defines as track-level become the track's (the first value seen), the others stay on
the keyframe. Read-only: the document is not changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.labels.format import CUBOID, GEOMETRIES, VISIBLE


class LabelFormatError(ValueError):
    """A stored label that cannot be read as tracks, at `path` inside the document
    (`frames[3].annotations[1].type`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class StoredKeyframe:
    frame: int
    removed: bool = False
    # A vector geometry's points, [[x, y(, z)], ...] as floats ((): a cuboid or a removal).
    points: tuple[tuple[float, ...], ...] = ()
    # A cuboid: position x, y, z, dimensions x, y, z, yaw (0 when absent), then the
    # rotation quaternion qx, qy, qz, qw when it has one.
    cuboid: tuple[float, ...] = ()
    # Keypoints only: one flag per point (VISIBLE when the label gives none).
    visibility: tuple[int, ...] | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def coordinates(self) -> list[float]:
        """The keyframe's numbers in one flat list: the points row by row, or the cuboid."""
        if self.cuboid:
            return list(self.cuboid)
        return [c for point in self.points for c in point]


@dataclass(frozen=True, slots=True)
class StoredTrack:
    track_id: int
    category_id: int
    geometry: str  # one of shared.labels.format.GEOMETRIES
    keyframes: tuple[StoredKeyframe, ...]
    track_attributes: Mapping[str, Any] = field(default_factory=dict)


def _cuboid(annotation: Mapping[str, Any]) -> tuple[float, ...]:
    position, dimensions = annotation["position"], annotation["dimensions"]
    values = [position["x"], position["y"], position["z"],
              dimensions["x"], dimensions["y"], dimensions["z"], annotation.get("yaw", 0.0)]
    rotation = annotation.get("rotation")
    if rotation is not None:
        values += [rotation["qx"], rotation["qy"], rotation["qz"], rotation["qw"]]
    return tuple(float(v) for v in values)


def _points(points: Sequence[Sequence[Any]]) -> tuple[tuple[float, ...], ...]:
    rows = tuple(tuple(float(c) for c in point) for point in points)
    if len({len(row) for row in rows}) > 1:
        raise ValueError("points of different dimensions")
    return rows


def _keyframe(frame: int, annotation: Mapping[str, Any], geometry: str,
              attributes: dict[str, Any]) -> StoredKeyframe:
    if annotation.get("removed"):
        return StoredKeyframe(frame, removed=True)
    if geometry == CUBOID:
        return StoredKeyframe(frame, cuboid=_cuboid(annotation), attributes=attributes)
    points = _points(annotation["points"])
    visibility = None
    if geometry == "keypoints":
        given = annotation.get("visibility")
        visibility = (tuple(int(v) for v in given) if given is not None
                      else (VISIBLE,) * len(points))
    return StoredKeyframe(frame, points=points, visibility=visibility, attributes=attributes)


def _keyframe_annotations(label: Mapping[str, Any]
                          ) -> Iterator[tuple[int, str, Mapping[str, Any]]]:
    """(frame, path, annotation) of every keyframe annotation, in document order."""
    for frame, entry in enumerate(label.get("frames") or []):
        if not isinstance(entry, dict):
            continue
        for j, annotation in enumerate(entry.get("annotations") or []):
            where = f"frames[{frame}].annotations[{j}]"
            if not isinstance(annotation, dict):
                raise LabelFormatError(where, "malformed annotation: not an object")
            if annotation.get("is_keyframe") and "track_id" in annotation:
                yield frame, where, annotation


def keyframe_tracks(label: Mapping[str, Any],
                    track_level: Mapping[int, frozenset[str]]) -> list[StoredTrack]:
    """The tracks of a (validated) stored sequence label, by track id; LabelFormatError
    names the first annotation that cannot be read.

    track_level: per category id, the names of its track-level attributes.
    """
    heads: dict[int, tuple[int, str]] = {}
    keyframes: dict[int, list[StoredKeyframe]] = {}
    track_attributes: dict[int, dict[str, Any]] = {}
    for frame, where, annotation in _keyframe_annotations(label):
        geometry = annotation.get("type", "")
        if geometry not in GEOMETRIES:
            raise LabelFormatError(f"{where}.type", "not an interpolable geometry")
        try:
            track_id = int(annotation["track_id"])
            category_id = int(annotation.get("category_id", 0))
            heads.setdefault(track_id, (category_id, geometry))
            attributes = dict(annotation.get("attributes") or {})
            names = track_level.get(category_id, frozenset())
            level = {name: attributes.pop(name) for name in list(attributes) if name in names}
            keyframe = _keyframe(frame, annotation, geometry, attributes)
        except (KeyError, TypeError, ValueError) as exc:
            raise LabelFormatError(where, f"malformed annotation: {exc}") from exc
        keyframes.setdefault(track_id, []).append(keyframe)
        for name, value in level.items():
            track_attributes.setdefault(track_id, {}).setdefault(name, value)
    return [StoredTrack(track_id, heads[track_id][0], heads[track_id][1], tuple(frames),
                        track_attributes.get(track_id, {}))
            for track_id, frames in sorted(keyframes.items())]


# What a sequence label's frame entry may hold besides its annotations.
FRAME_EXTRAS = ("timestamp", "image_attributes")


def frame_extras(label: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per frame entry of a sequence label, the FRAME_EXTRAS it holds ({} for an entry
    that is not an object)."""
    return [{k: entry[k] for k in FRAME_EXTRAS if k in entry} if isinstance(entry, dict)
            else {} for entry in label.get("frames") or []]


def sensor_label(label: Mapping[str, Any], sensor: str) -> Mapping[str, Any] | None:
    """A multi-sensor label's sequence label of one sensor (the first when `sensor` is "")."""
    for entry in label.get("sensors") or []:
        if not sensor or entry.get("name") == sensor:
            return entry.get("attributes") or {}
    return None
