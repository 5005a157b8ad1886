"""The only module that touches both protobuf and the SDK's types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from framewise.client import types as t
from framewise.client.errors import invalid
from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as ds
from framewise.interpolation.v1 import interpolation_pb2 as ip
from framewise.labeling.v1 import labeling_pb2 as lb
from framewise.release.v1 import release_pb2 as rl

# --- enums: TASK_TYPE_IMAGE_VECTOR_SEQUENCE <-> "image-vector-sequence" ---


def _prefix(wrapper: EnumTypeWrapper) -> str:
    return wrapper.Name(0).removesuffix("UNSPECIFIED")


def enum_name(wrapper: EnumTypeWrapper, value: int) -> str:
    if value == 0:
        return ""
    try:
        name = wrapper.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix(_prefix(wrapper)).lower().replace("_", "-")


def enum_value(wrapper: EnumTypeWrapper, name: str | None, field: str) -> int:
    """"bboxes" -> TASK_TYPE_BBOXES; empty or None -> 0 (unspecified)."""
    if not name:
        return 0
    key = _prefix(wrapper) + str(name).strip().upper().replace("-", "_")
    try:
        return wrapper.Value(key)
    except ValueError:
        choices = ", ".join(enum_choices(wrapper))
        raise invalid(field, f"unknown value {name!r}; one of {choices}") from None


def enum_choices(wrapper: EnumTypeWrapper) -> list[str]:
    return [enum_name(wrapper, v) for v in wrapper.values() if v]


TASK_TYPES = enum_choices(common_pb2.TaskType)
LABEL_STATUSES = enum_choices(common_pb2.LabelStatus)
ROLES = enum_choices(ds.Role)
EXPORT_FORMATS = enum_choices(rl.ExportFormat)

# --- scalars ---


def to_time(stamp: timestamp_pb2.Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def _time(message: Any, name: str) -> datetime | None:
    return to_time(getattr(message, name), message.HasField(name))


def dump_json(value: Mapping[str, Any] | None, field: str) -> str:
    if value is None:
        return ""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise invalid(field, f"not JSON: {exc}") from None


def load_json(text: str) -> dict[str, Any]:
    return json.loads(text) if text else {}


# --- datasets ---


def attribute_to_proto(definition: t.AttributeDefinition | Mapping[str, Any],
                       field: str) -> ds.AttributeDefinition:
    d = (definition if isinstance(definition, t.AttributeDefinition)
         else t.AttributeDefinition(**definition))
    message = ds.AttributeDefinition(
        name=d.name, values=list(d.values), is_mandatory=d.is_mandatory,
        is_track_level=d.is_track_level,
        input_type=enum_value(ds.AttributeInputType, d.input_type, f"{field}.input_type"),
    )
    for bound in ("min", "max", "step"):
        if getattr(d, bound) is not None:
            setattr(message, bound, float(getattr(d, bound)))
    if d.default_value is not None:
        message.default_value.CopyFrom(json_format.ParseDict(d.default_value, struct_pb2.Value()))
    return message


def attribute_from_proto(message: ds.AttributeDefinition) -> t.AttributeDefinition:
    return t.AttributeDefinition(
        name=message.name, input_type=enum_name(ds.AttributeInputType, message.input_type),
        values=list(message.values),
        min=message.min if message.HasField("min") else None,
        max=message.max if message.HasField("max") else None,
        step=message.step if message.HasField("step") else None,
        default_value=(json_format.MessageToDict(message.default_value)
                       if message.HasField("default_value") else None),
        is_mandatory=message.is_mandatory, is_track_level=message.is_track_level,
    )


def task_attributes_to_proto(value: t.TaskAttributes | Mapping[str, Any],
                             field: str = "dataset.task_attributes") -> ds.TaskAttributes:
    attrs = value if isinstance(value, t.TaskAttributes) else t.TaskAttributes.from_dict(
        dict(value))
    return ds.TaskAttributes(
        categories=[
            ds.Category(
                id=c.id, name=c.name, color=c.color, keypoint_names=list(c.keypoint_names),
                attributes=[attribute_to_proto(a, f"{field}.categories[{i}].attributes[{j}]")
                            for j, a in enumerate(c.attributes)],
            )
            for i, c in enumerate(attrs.categories)
        ],
        sample_attributes=[attribute_to_proto(a, f"{field}.sample_attributes[{j}]")
                           for j, a in enumerate(attrs.sample_attributes)],
    )


def task_attributes_from_proto(message: ds.TaskAttributes) -> t.TaskAttributes:
    return t.TaskAttributes(
        categories=[
            t.Category(id=c.id, name=c.name, color=c.color,
                       attributes=[attribute_from_proto(a) for a in c.attributes],
                       keypoint_names=list(c.keypoint_names))
            for c in message.categories
        ],
        sample_attributes=[attribute_from_proto(a) for a in message.sample_attributes],
    )


def settings_to_proto(settings: t.DatasetSettings) -> ds.DatasetSettings:
    return ds.DatasetSettings(
        interpolation_mode=enum_value(common_pb2.InterpolationMode, settings.interpolation_mode,
                                      "dataset.settings.interpolation_mode"),
        extrapolate_cuboid_position=settings.extrapolate_cuboid_position,
    )


def dataset_from_proto(m: ds.Dataset) -> t.Dataset:
    return t.Dataset(
        id=m.id, name=m.name, owner=m.owner, description=m.description,
        task_type=enum_name(common_pb2.TaskType, m.task_type),
        task_attributes=task_attributes_from_proto(m.task_attributes),
        settings=t.DatasetSettings(
            interpolation_mode=enum_name(common_pb2.InterpolationMode,
                                         m.settings.interpolation_mode) or "frame-index",
            extrapolate_cuboid_position=m.settings.extrapolate_cuboid_position),
        metadata=load_json(m.metadata_json), sample_count=m.sample_count,
        revision=m.revision, etag=m.etag,
        create_time=_time(m, "create_time"), update_time=_time(m, "update_time"),
    )


# --- samples ---


def new_sample_to_proto(sample: t.NewSample | Mapping[str, Any], dataset_id: str,
                        field: str = "sample") -> ds.Sample:
    s = sample if isinstance(sample, t.NewSample) else t.NewSample(**sample)
    return ds.Sample(
        dataset_id=dataset_id, name=s.name,
        attributes_json=dump_json(s.attributes, f"{field}.attributes_json"),
        metadata_json=dump_json(s.metadata, f"{field}.metadata_json") if s.metadata else "",
        priority=s.priority, assigned_labeler=s.assigned_labeler,
        assigned_reviewer=s.assigned_reviewer,
    )


def sample_from_proto(m: ds.Sample) -> t.Sample:
    return t.Sample(
        id=m.id, dataset_id=m.dataset_id, name=m.name,
        attributes=load_json(m.attributes_json), metadata=load_json(m.metadata_json),
        priority=m.priority, assigned_labeler=m.assigned_labeler,
        assigned_reviewer=m.assigned_reviewer, created_by=m.created_by,
        frame_count=m.frame_count, revision=m.revision, etag=m.etag,
        create_time=_time(m, "create_time"), update_time=_time(m, "update_time"),
    )


def frame_from_proto(m: ds.Frame) -> t.Frame:
    return t.Frame(index=m.index, name=m.name, url=m.url,
                   timestamp=m.timestamp if m.HasField("timestamp") else None)


def label_set_from_proto(m: ds.LabelSet) -> t.LabelSet:
    return t.LabelSet(dataset_id=m.dataset_id, name=m.name, description=m.description,
                      is_default=m.is_default, create_time=_time(m, "create_time"))


def collaborator_from_proto(m: ds.Collaborator) -> t.Collaborator:
    return t.Collaborator(dataset_id=m.dataset_id, user=m.user,
                          role=enum_name(ds.Role, m.role),
                          create_time=_time(m, "create_time"),
                          update_time=_time(m, "update_time"))


# --- labels ---


def label_from_proto(m: lb.Label) -> t.Label:
    return t.Label(
        sample_id=m.sample_id, label_set=m.label_set or "ground-truth",
        dataset_id=m.dataset_id, attributes=load_json(m.attributes_json),
        status=enum_name(common_pb2.LabelStatus, m.status),
        score=m.score if m.HasField("score") else None,
        created_by=m.created_by, updated_by=m.updated_by, reviewed_by=m.reviewed_by,
        etag=m.etag, revision=m.revision, deleted=m.deleted,
        create_time=_time(m, "create_time"), update_time=_time(m, "update_time"),
        review_time=_time(m, "review_time"),
    )


# --- releases ---


def release_from_proto(m: rl.Release) -> t.Release:
    return t.Release(
        id=m.id, dataset_id=m.dataset_id, name=m.name, description=m.description,
        status=enum_name(rl.ReleaseStatus, m.status), failure_reason=m.failure_reason,
        sample_count=m.sample_count, file_size_bytes=m.file_size_bytes,
        content_sha256=m.content_sha256, dataset_revision=m.dataset_revision,
        label_revision=m.label_revision, created_by=m.created_by,
        create_time=_time(m, "create_time"), complete_time=_time(m, "complete_time"),
    )


# --- interpolation ---


def track_to_proto(track: t.Track, field: str) -> ip.Track:
    return ip.Track(
        track_id=track.track_id, category_id=track.category_id,
        geometry_type=enum_value(common_pb2.GeometryType, track.geometry_type,
                                 f"{field}.geometry_type"),
        dimensions=track.dimensions,
        track_attributes_json=dump_json(track.track_attributes or None,
                                        f"{field}.track_attributes_json"),
        keyframes=[
            ip.Keyframe(frame=k.frame, removed=k.removed, coordinates=list(k.coordinates),
                        visibility=list(k.visibility),
                        attributes_json=dump_json(k.attributes or None,
                                                  f"{field}.keyframes[{i}].attributes_json"))
            for i, k in enumerate(track.keyframes)
        ],
    )


def _geometry_names() -> dict[int, str]:
    return {v: enum_name(common_pb2.GeometryType, v) for v in common_pb2.GeometryType.values()}


_GEOMETRY = _geometry_names()


def frame_states_from_proto(m: ip.StreamFrameStatesResponse | ip.GetFrameStateResponse,
                            frames: Any) -> list[t.FrameState]:
    return [
        t.FrameState(
            frame=f.frame, frame_count=m.frame_count,
            timestamp=f.timestamp if f.HasField("timestamp") else None,
            objects=[
                t.ObjectState(
                    track_id=o.track_id, category_id=o.category_id,
                    geometry_type=_GEOMETRY.get(o.geometry_type, str(o.geometry_type)),
                    is_keyframe=o.is_keyframe, coordinates=list(o.coordinates),
                    visibility=list(o.visibility),
                    attributes=json.loads(o.attributes_json) if o.attributes_json else {},
                )
                for o in f.objects
            ],
        )
        for f in frames
    ]
