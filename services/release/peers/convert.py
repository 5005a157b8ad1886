"""The peers' messages as release domain types and release-file text: datasets, samples,
labels (dataset and labeling services), and interpolation requests and frame states.

Protobuf only, no gRPC: the build's formatting processes decode frame states with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, cast

from google.protobuf import json_format, timestamp_pb2

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from framewise.labeling.v1 import labeling_pb2 as lpb
from services.release.domain import release_file, states
from services.release.domain.inputs import DatasetInfo, LabelEntry, LabelSetInfo, SampleEntry
from shared.jsondoc import parse_object
from shared.labels.sequences import StoredTrack
from shared.proto_enums import task_type_from_proto

GEOMETRY_NAMES: dict[int, str] = {
    common_pb2.GEOMETRY_TYPE_BBOX: "bbox",
    common_pb2.GEOMETRY_TYPE_POINT: "point",
    common_pb2.GEOMETRY_TYPE_POLYGON: "polygon",
    common_pb2.GEOMETRY_TYPE_POLYLINE: "polyline",
    common_pb2.GEOMETRY_TYPE_KEYPOINTS: "keypoints",
    common_pb2.GEOMETRY_TYPE_CUBOID: "cuboid",
}
GEOMETRY_NUMBERS = {name: number for number, name in GEOMETRY_NAMES.items()}
_KEYPOINTS = common_pb2.GEOMETRY_TYPE_KEYPOINTS
_LABEL_STATUS_PREFIX = "LABEL_STATUS_"


def iso(value: timestamp_pb2.Timestamp) -> str | None:
    if not value.seconds and not value.nanos:
        return None
    # protobuf is untyped to mypy (no stubs installed): its results are Any.
    return cast(str, value.ToDatetime().isoformat()) + "Z"


# The dataset header of a release file


def _color(hex_color: str) -> list[int] | None:
    """'#ff8000' -> [255, 128, 0], the field's release files' color shape."""
    text = hex_color.lstrip("#")
    if len(text) not in (6, 8):
        return None
    try:
        return [int(text[i:i + 2], 16) for i in range(0, len(text), 2)]
    except ValueError:
        return None


def _attribute(definition: dpb.AttributeDefinition) -> dict[str, Any]:
    name = dpb.AttributeInputType.Name(definition.input_type)
    out: dict[str, Any] = {
        "name": definition.name,
        "input_type": name.removeprefix("ATTRIBUTE_INPUT_TYPE_").lower(),
    }
    if definition.values:
        out["values"] = list(definition.values)
    for bound in ("min", "max", "step"):
        if definition.HasField(bound):
            out[bound] = getattr(definition, bound)
    if definition.HasField("default_value"):
        out["default_value"] = json_format.MessageToDict(definition.default_value)
    if definition.is_mandatory:
        out["is_mandatory"] = True
    if definition.is_track_level:
        out["is_track_level"] = True
    return out


def _category(category: dpb.Category) -> dict[str, Any]:
    out: dict[str, Any] = {"id": category.id, "name": category.name,
                           "attributes": [_attribute(a) for a in category.attributes]}
    color = _color(category.color)
    if color is not None:
        out["color"] = color
    if category.keypoint_names:
        out["keypoint_names"] = list(category.keypoint_names)
    return out


def dataset_header(dataset: dpb.Dataset) -> dict[str, Any]:
    """The release file's `dataset` object, without its label sets and samples
    (domain.inputs.dataset_header adds the label sets)."""
    task_type = task_type_from_proto(dataset.task_type, "dataset.task_type")
    mode = common_pb2.InterpolationMode.Name(dataset.settings.interpolation_mode)
    return {
        "id": dataset.id,
        "name": dataset.name,
        "owner": dataset.owner,
        "description": dataset.description,
        "task_type": task_type.value,
        "task_attributes": {
            "format_version": "0.1",
            "categories": [_category(c) for c in dataset.task_attributes.categories],
            "image_attributes": [_attribute(a)
                                 for a in dataset.task_attributes.sample_attributes],
        },
        "settings": {
            "interpolation_mode": mode.removeprefix("INTERPOLATION_MODE_").lower(),
            "extrapolate_cuboid_position": dataset.settings.extrapolate_cuboid_position,
        },
        "metadata": parse_object(dataset.metadata_json, "dataset.metadata_json"),
        "created_at": iso(dataset.create_time),
    }


def dataset_info(dataset: dpb.Dataset) -> DatasetInfo:
    return DatasetInfo(id=dataset.id, revision=dataset.revision,
                       caller_role=dataset.caller_role, header=dataset_header(dataset))


def dataset_role(dataset: dpb.Dataset) -> int:
    return cast(int, dataset.caller_role)  # a Role enum value


def label_set_info(label_set: dpb.LabelSet) -> LabelSetInfo:
    return LabelSetInfo(name=label_set.name, description=label_set.description,
                        is_default=label_set.is_default)


# Samples and labels


def sample_head(sample: dpb.Sample) -> str:
    return release_file.sample_head(
        sample.id, sample.name, sample.metadata_json, sample.attributes_json,
        {"priority": sample.priority, "created_by": sample.created_by,
         "created_at": iso(sample.create_time)})


def label_status(value: int) -> str:
    return cast(str, common_pb2.LabelStatus.Name(value)).removeprefix(_LABEL_STATUS_PREFIX)


def label_head(label: lpb.Label) -> str:
    return release_file.label_head({
        "label_status": label_status(label.status),
        "score": label.score if label.HasField("score") else None,
        "created_by": label.created_by,
        "created_at": iso(label.create_time),
        "updated_by": label.updated_by,
        "updated_at": iso(label.update_time),
        "reviewed_by": label.reviewed_by or None,
        "reviewed_at": iso(label.review_time),
        "revision": label.revision,
    })


def label_digest(label: lpb.Label) -> str:
    """What DiffReleases compares: the content of a label, not when it was saved."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"{label.status}|{label.score if label.HasField('score') else ''}|".encode())
    digest.update(label.attributes_json.encode())
    return digest.hexdigest()


def sample_entry(sample: dpb.Sample) -> SampleEntry:
    return SampleEntry(id=sample.id, name=sample.name, head=sample_head(sample))


def label_entry(label: lpb.Label) -> LabelEntry:
    return LabelEntry(sample_id=label.sample_id, revision=label.revision,
                      attributes_json=label.attributes_json,
                      attributes_problem=label.attributes_problem, head=label_head(label),
                      digest=label_digest(label))


def frame_json(state: ipb.FrameState, dims: int, stored: dict[str, Any] | None) -> str:
    """One frame of a sequence label written out: interpolated states, with what the
    stored frame had beyond annotations (its timestamp, image attributes)."""
    # Inlined states.annotation_json: this loop runs once per object per frame.
    names = GEOMETRY_NAMES
    parts: list[str] = []
    append = parts.append
    # The bound `format` of each shape's template, looked up once per frame, not per object.
    formats: dict[tuple[int, int, int], Any] = {}
    for o in state.objects:
        coordinates = o.coordinates
        number = o.geometry_type
        flags = o.visibility if number == _KEYPOINTS else ()
        key = (number, len(coordinates), len(flags))
        fmt = formats.get(key)
        if fmt is None:
            fmt = formats[key] = states.template(names[number], key[1], key[2], dims).format
        append(fmt(o.track_id, o.category_id, "true" if o.is_keyframe else "false",
                   o.attributes_json or "{}", *flags, *coordinates))
    return frame_text(",".join(parts),
                      state.timestamp if state.HasField("timestamp") else None, stored)


def frame_text(annotations: str, timestamp: float | None,
               stored: dict[str, Any] | None) -> str:
    """A frame's JSON around its annotations' text; timestamp: the state's, if it has one."""
    parts = []
    if timestamp is not None:
        parts.append(f'"timestamp":{timestamp!r}')
    elif stored and stored.get("timestamp") is not None:
        parts.append(f'"timestamp":{release_file.dumps(stored["timestamp"])}')
    parts.append(f'"annotations":[{annotations}]')
    if stored and stored.get("image_attributes"):
        parts.append(f'"image_attributes":{release_file.dumps(stored["image_attributes"])}')
    return "{" + ",".join(parts) + "}"


# Interpolation requests


def _track_to_proto(track: StoredTrack, dims: int) -> ipb.Track:
    message = ipb.Track(track_id=track.track_id, category_id=track.category_id,
                        geometry_type=GEOMETRY_NUMBERS.get(track.geometry, 0),
                        track_attributes_json=release_file.dumps(track.track_attributes))
    if track.geometry in ("point", "polygon", "polyline"):
        message.dimensions = dims
    for keyframe in track.keyframes:
        message.keyframes.append(ipb.Keyframe(
            frame=keyframe.frame, removed=keyframe.removed, coordinates=keyframe.coordinates(),
            visibility=keyframe.visibility or (),
            attributes_json=release_file.dumps(keyframe.attributes) if keyframe.attributes
            else ""))
    return message


def frame_timestamps(frames: dpb.GetSampleFramesResponse) -> list[float | None]:
    return [f.timestamp if f.HasField("timestamp") else None for f in frames.frames]


def inline_request(tracks: Sequence[StoredTrack], stamps: Sequence[float | None],
                   dataset: dict[str, Any], dims: int) -> ipb.StreamFrameStatesRequest:
    """Keyframes and frames as they were pinned (a timestamp or None per frame), with the
    dataset's interpolation settings (timestamps only when interpolating by time and
    every frame has one)."""
    settings = dataset.get("settings") or {}
    by_time = settings.get("interpolation_mode") == "timestamp" and None not in stamps
    inline = ipb.InlineTracks(
        tracks=[_track_to_proto(t, dims) for t in tracks], frame_count=len(stamps),
        timestamps=stamps if by_time else [],  # by_time: stamps has no None
        options=ipb.InterpolationOptions(
            mode=(common_pb2.INTERPOLATION_MODE_TIMESTAMP if by_time
                  else common_pb2.INTERPOLATION_MODE_FRAME_INDEX),
            extrapolate_cuboid_position=bool(settings.get("extrapolate_cuboid_position"))))
    return ipb.StreamFrameStatesRequest(inline=inline)
