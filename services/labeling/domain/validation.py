"""A label document checked against its dataset and sample, and normalised for storage.

See `formats` for the shapes. `check_label` reports every violation at once (capped)
and returns the document to store: sequence labels keep only their keyframes, one frame
entry per sample frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from services.labeling.domain import annotations as ann
from services.labeling.domain import documents
from services.labeling.domain.attributes import check_attributes, is_int
from services.labeling.domain.models import DatasetInfo, SampleInfo
from services.labeling.domain.violations import CappedViolations
from shared.labels.format import (
    CUBOID_FORMAT_VERSION,
    IMAGE_FORMAT_VERSION,
    MAX_TRACK_ID,
    SEQUENCE_FORMAT_VERSION,
)
from shared.limits import (
    MAX_ANNOTATIONS_PER_FRAME,
    MAX_POINT_ANNOTATIONS,
    MAX_TEXT_LENGTH,
    MAX_URL_LENGTH,
)
from shared.task_types import LabelKind, TaskType, spec

LABEL_FIELD = "label.attributes_json"
GEOMETRY_KEYS = ("points", "visibility", "position", "dimensions", "yaw", "rotation")


@dataclass(frozen=True)
class CheckedLabel:
    document: dict[str, Any]
    max_track_id: int
    # The document's JSON text, what is stored and served (documents.encode).
    text: str = ""


def check_label(document: dict[str, Any], dataset: DatasetInfo, sample: SampleInfo,
                path: str = LABEL_FIELD) -> CheckedLabel:
    """Validates `document`; raises InvalidArgument naming every bad path."""
    violations = CappedViolations()
    task_type = dataset.task_type
    if task_type is TaskType.MULTISENSOR_SEQUENCE:
        checked = _multisensor(violations, document, dataset, sample, path)
    elif spec(task_type).is_sequence:
        checked = _sequence(violations, document, dataset, task_type, sample.frame_count, path)
    else:
        checked = CheckedLabel(_single(violations, document, dataset, task_type, path), 0)
    if not violations:
        # Only a document that can be served back exactly may be written.
        checked = replace(checked, text=documents.encode(checked.document, violations, path))
    violations.raise_if_any()
    return checked


def _format_version(violations: CappedViolations, document: dict[str, Any], default: str,
                    path: str) -> str:
    """The document's format version; `default` (the only one this kind of label has,
    shared/labels/format.py) when absent. Another version is a format this service cannot check."""
    version = document.get("format_version", default)
    if not isinstance(version, str):
        violations.add(f"{path}.format_version", "must be a string")
        return default
    if len(version) > MAX_TEXT_LENGTH:
        violations.add(f"{path}.format_version", f"at most {MAX_TEXT_LENGTH} characters")
        return default
    if version != default:
        violations.add(f"{path}.format_version",
                       f"unknown format version {version[:40]!r}; these labels are "
                       f"{default!r} (or leave it out)")
        return default
    return version


def _annotation_list(violations: CappedViolations, value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        violations.add(path, "must be a list of annotations")
        return []
    if len(value) > MAX_ANNOTATIONS_PER_FRAME:
        violations.add(path, f"at most {MAX_ANNOTATIONS_PER_FRAME} annotations, "
                             f"got {len(value)}")
        return []
    return value


def _check_unique_ids(violations: CappedViolations, annotations: list[Any], path: str) -> None:
    seen: set[int] = set()
    for j, item in enumerate(annotations):
        value = item.get("id") if isinstance(item, dict) else None
        if is_int(value):
            if value in seen:
                violations.add(f"{path}[{j}].id", f"duplicate annotation id {value}")
            seen.add(value)


def _check_one(violations: CappedViolations, item: dict[str, Any], dataset: DatasetInfo,
               kind: LabelKind, geometries: frozenset[str], path: str) -> None:
    """An annotation that carries geometry (single frame, or a state keyframe)."""
    if kind is LabelKind.IMAGE_VECTOR:
        ann.check_vector(violations, item, dataset, geometries, 2, path, mandatory=True)
    elif kind is LabelKind.POINTCLOUD_VECTOR:
        ann.check_vector(violations, item, dataset, geometries, 3, path, mandatory=True)
    elif kind is LabelKind.CUBOID:
        ann.check_cuboid(violations, item, dataset, path, mandatory=True)
    else:
        ann.check_segment(violations, item, dataset, path)


def _segmentation(violations: CappedViolations, document: dict[str, Any], dataset: DatasetInfo,
                  kind: LabelKind, annotations: list[Any], path: str) -> None:
    if kind is LabelKind.SEGMENTATION_BITMAP:
        bitmap = document.get("segmentation_bitmap")
        if bitmap is None:
            if annotations:
                violations.add(f"{path}.segmentation_bitmap",
                               "required when there are annotations: {\"url\": ...}")
        elif not isinstance(bitmap, dict) or not isinstance(bitmap.get("url"), str) or (
            not bitmap["url"]
        ):
            violations.add(f"{path}.segmentation_bitmap.url", "required: a non-empty string")
        elif len(bitmap["url"]) > MAX_URL_LENGTH:
            violations.add(f"{path}.segmentation_bitmap.url",
                           f"at most {MAX_URL_LENGTH} characters, got {len(bitmap['url'])}")
        return
    points = document.get("point_annotations", [])
    if not isinstance(points, list):
        violations.add(f"{path}.point_annotations", "must be a list of annotation ids")
        return
    if len(points) > MAX_POINT_ANNOTATIONS:
        violations.add(f"{path}.point_annotations",
                       f"at most {MAX_POINT_ANNOTATIONS} points, got {len(points)}")
        return
    ids = {a.get("id") for a in annotations if isinstance(a, dict)} | {0}
    for i, value in enumerate(points):
        if not is_int(value) or value not in ids:
            violations.add(f"{path}.point_annotations[{i}]",
                           "must be 0 or the id of one of the annotations")
            if violations.full:
                return


def _single(violations: CappedViolations, document: dict[str, Any], dataset: DatasetInfo,
            task_type: TaskType, path: str, *, in_sequence: bool = False) -> dict[str, Any]:
    """A single-frame label (or one frame of a segmentation sequence)."""
    task = spec(task_type)
    kind = task.label_kind
    annotations = _annotation_list(violations, document.get("annotations"),
                                   f"{path}.annotations")
    for j, item in enumerate(annotations):
        item_path = f"{path}.annotations[{j}]"
        if not isinstance(item, dict):
            violations.add(item_path, "must be an object")
        else:
            _check_one(violations, item, dataset, kind, task.geometries, item_path)
        if violations.full:
            break
    _check_unique_ids(violations, annotations, f"{path}.annotations")
    if kind in (LabelKind.SEGMENTATION_BITMAP, LabelKind.POINTCLOUD_SEGMENTATION):
        _segmentation(violations, document, dataset, kind, annotations, path)
    sample_attributes = dataset.task_attributes.sample_attributes_by_name
    if "image_attributes" in document:
        check_attributes(violations, document["image_attributes"], sample_attributes,
                         f"{path}.image_attributes", mandatory=not in_sequence)
    elif sample_attributes and not in_sequence:
        check_attributes(violations, {}, sample_attributes,
                         f"{path}.image_attributes", mandatory=True)
    if in_sequence:
        return {**document, "annotations": annotations}
    default = CUBOID_FORMAT_VERSION if kind is LabelKind.CUBOID else IMAGE_FORMAT_VERSION
    version = _format_version(violations, document, default, path)
    return {**document, "format_version": version, "annotations": annotations}


@dataclass
class _Track:
    category_id: Any
    type: Any
    path: str


class _TrackChecker:
    """Tracks across the frames of one sequence label: category, type, track-level values."""

    def __init__(self, violations: CappedViolations, dataset: DatasetInfo) -> None:
        self.violations = violations
        self.dataset = dataset
        self.tracks: dict[int, _Track] = {}
        self.track_level: dict[tuple[int, str], Any] = {}
        self.max_track_id = 0

    def add(self, item: dict[str, Any], path: str) -> None:
        track_id = item["track_id"]
        self.max_track_id = max(self.max_track_id, track_id)
        track = self.tracks.get(track_id)
        if track is None:
            self.tracks[track_id] = _Track(item.get("category_id"), item.get("type"), path)
        else:
            for key in ("category_id", "type"):
                if item.get(key) != getattr(track, key):
                    self.violations.add(
                        f"{path}.{key}", f"track {track_id} has {key} {getattr(track, key)!r} "
                                         f"(at {track.path}); a track keeps it on every frame")
        category_id = item.get("category_id")
        # Not an integer: check_category named it; a list would not even be a dict key.
        category = (self.dataset.task_attributes.categories_by_id.get(category_id)
                    if is_int(category_id) else None)
        values = item.get("attributes")
        if category is None or not isinstance(values, dict):
            return
        for name, value in values.items():
            definition = category.attributes_by_name.get(name)
            if definition is None or not definition.is_track_level:
                continue
            slot = (track_id, name)
            if slot in self.track_level and self.track_level[slot] != value:
                self.violations.add(f"{path}.attributes.{name}",
                                    f"track-level attribute differs from another keyframe of "
                                    f"track {track_id}")
            self.track_level.setdefault(slot, value)


def _keyframe(violations: CappedViolations, item: dict[str, Any], dataset: DatasetInfo,
              task_type: TaskType, seen: set[int], tracks: _TrackChecker, path: str) -> bool:
    """Checks a keyframe annotation of a vector/cuboid sequence; True when it is usable."""
    task = spec(task_type)
    track_id = item.get("track_id")
    if not is_int(track_id) or not 1 <= track_id <= MAX_TRACK_ID:
        violations.add(f"{path}.track_id", f"required: an integer from 1 to {MAX_TRACK_ID}")
        return False
    if track_id in seen:
        violations.add(f"{path}.track_id", f"track {track_id} appears twice in this frame")
    seen.add(track_id)
    if item.get("removed") is True:
        for key in GEOMETRY_KEYS:
            if key in item:
                violations.add(f"{path}.{key}", "a remove-keyframe carries no geometry")
        if item.get("attributes"):
            violations.add(f"{path}.attributes", "a remove-keyframe carries no attributes")
        ann.check_category(violations, item, dataset, path)
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in task.geometries:
            violations.add(f"{path}.type", f"must be one of {sorted(task.geometries)}")
    else:
        if "removed" in item and item["removed"] is not False:
            violations.add(f"{path}.removed", "must be true or false")
        _check_one(violations, item, dataset, task.label_kind, task.geometries, path)
    tracks.add(item, path)
    return True


def _sequence_frames(violations: CappedViolations, document: dict[str, Any],
                     frame_count: int, path: str) -> list[Any]:
    frames = document.get("frames", [])
    if not isinstance(frames, list):
        violations.add(f"{path}.frames", "must be a list of frames")
        return []
    if len(frames) > frame_count:
        violations.add(f"{path}.frames", f"the sample has {frame_count} frames, the label "
                                         f"has {len(frames)}")
        return []
    return frames


def _sequence(violations: CappedViolations, document: dict[str, Any], dataset: DatasetInfo,
              task_type: TaskType, frame_count: int, path: str) -> CheckedLabel:
    kind = spec(task_type).label_kind
    segmentation = kind in (LabelKind.SEGMENTATION_BITMAP, LabelKind.POINTCLOUD_SEGMENTATION)
    tracks = _TrackChecker(violations, dataset)
    frames_out: list[dict[str, Any]] = []
    for i, frame in enumerate(_sequence_frames(violations, document, frame_count, path)):
        frame_path = f"{path}.frames[{i}]"
        if not isinstance(frame, dict):
            violations.add(frame_path, "must be an object")
            continue
        if segmentation:
            checked = _single(violations, frame, dataset, task_type, frame_path,
                              in_sequence=True)
            for item in checked["annotations"]:
                if isinstance(item, dict) and is_int(item.get("track_id")):
                    tracks.max_track_id = max(tracks.max_track_id, item["track_id"])
            frames_out.append(checked)
        else:
            frames_out.append(_vector_frame(violations, frame, dataset, task_type, tracks,
                                            frame_path))
        if violations.full:
            break
    frames_out.extend({"annotations": []} for _ in range(frame_count - len(frames_out)))
    version = _format_version(violations, document, SEQUENCE_FORMAT_VERSION, path)
    out = {**document, "format_version": version, "frames": frames_out}
    return CheckedLabel(out, tracks.max_track_id)


def _vector_frame(violations: CappedViolations, frame: dict[str, Any], dataset: DatasetInfo,
                  task_type: TaskType, tracks: _TrackChecker, path: str) -> dict[str, Any]:
    annotations = _annotation_list(violations, frame.get("annotations"), f"{path}.annotations")
    kept: list[dict[str, Any]] = []
    seen: set[int] = set()
    for j, item in enumerate(annotations):
        item_path = f"{path}.annotations[{j}]"
        if not isinstance(item, dict):
            violations.add(item_path, "must be an object")
            continue
        # Only keyframes are the source of truth; other frames are interpolated.
        if item.get("is_keyframe") is not True:
            continue
        if _keyframe(violations, item, dataset, task_type, seen, tracks, item_path):
            kept.append(item)
    if "image_attributes" in frame:
        check_attributes(violations, frame["image_attributes"],
                         dataset.task_attributes.sample_attributes_by_name,
                         f"{path}.image_attributes", mandatory=False)
    return {**frame, "annotations": kept}


def _multisensor(violations: CappedViolations, document: dict[str, Any], dataset: DatasetInfo,
                 sample: SampleInfo, path: str) -> CheckedLabel:
    sensors = document.get("sensors", [])
    if not isinstance(sensors, list):
        violations.add(f"{path}.sensors", "must be a list of sensors")
        return CheckedLabel(document, 0)
    known = {s.name: s for s in sample.sensors}
    seen: set[str] = set()
    out: list[Any] = []
    max_track_id = 0
    for i, entry in enumerate(sensors):
        sensor_path = f"{path}.sensors[{i}]"
        if not isinstance(entry, dict):
            violations.add(sensor_path, "must be an object")
            continue
        name = entry.get("name")
        sensor = known.get(name) if isinstance(name, str) else None
        if sensor is None:
            violations.add(f"{sensor_path}.name", f"the sample's sensors are {sorted(known)}")
            continue
        assert isinstance(name, str)  # a sensor was found under it
        if name in seen:
            violations.add(f"{sensor_path}.name", f"sensor {name!r} appears twice")
        seen.add(name)
        declared = entry.get("task_type", sensor.task_type.value)
        if declared != sensor.task_type.value:
            violations.add(f"{sensor_path}.task_type",
                           f"sensor {name!r} has task type {sensor.task_type.value!r}")
        attributes = entry.get("attributes", {})
        if not isinstance(attributes, dict):
            violations.add(f"{sensor_path}.attributes", "must be an object (a sequence label)")
            continue
        checked = _sequence(violations, attributes, dataset, sensor.task_type,
                            sensor.frame_count, f"{sensor_path}.attributes")
        max_track_id = max(max_track_id, checked.max_track_id)
        out.append({**entry, "task_type": sensor.task_type.value,
                    "attributes": checked.document})
    return CheckedLabel({**document, "sensors": out}, max_track_id)
