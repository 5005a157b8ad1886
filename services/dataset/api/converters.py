"""The only code that touches both protobuf messages and dataset domain types."""

from __future__ import annotations

from google.protobuf import json_format

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from services.dataset.domain.models import (
    Collaborator,
    Dataset,
    DatasetSettings,
    Frame,
    InterpolationMode,
    LabelSet,
    Role,
    Sample,
)
from shared import jsondoc
from shared.degraded import converted
from shared.errors import InvalidArgument
from shared.proto_enums import from_proto, task_type_from_proto, task_type_to_proto, to_proto
from shared.proto_time import timestamp
from shared.task_attributes import AttributeDefinition, Category, InputType, TaskAttributes
from shared.task_types import TaskType


def _definition_from_proto(message: pb.AttributeDefinition, field: str) -> AttributeDefinition:
    default = None
    if message.HasField("default_value"):
        default = json_format.MessageToDict(message.default_value)
    return AttributeDefinition(
        name=message.name,
        input_type=from_proto(pb.AttributeInputType, message.input_type, InputType,
                              f"{field}.input_type"),
        values=tuple(message.values),
        min=message.min if message.HasField("min") else None,
        max=message.max if message.HasField("max") else None,
        step=message.step if message.HasField("step") else None,
        default=default,
        is_mandatory=message.is_mandatory,
        is_track_level=message.is_track_level,
    )


def _definition_to_proto(definition: AttributeDefinition) -> pb.AttributeDefinition:
    message = pb.AttributeDefinition(
        name=definition.name,
        input_type=to_proto(pb.AttributeInputType, definition.input_type),
        values=definition.values,
        is_mandatory=definition.is_mandatory,
        is_track_level=definition.is_track_level,
    )
    for bound in ("min", "max", "step"):
        if getattr(definition, bound) is not None:
            setattr(message, bound, getattr(definition, bound))
    if definition.default is not None:
        json_format.ParseDict(definition.default, message.default_value)
    return message


def task_attributes_from_proto(message: pb.TaskAttributes, field: str) -> TaskAttributes:
    return TaskAttributes(
        categories=tuple(
            Category(
                id=c.id,
                name=c.name,
                color=c.color,
                attributes=tuple(
                    _definition_from_proto(d, f"{field}.categories[{i}].attributes[{j}]")
                    for j, d in enumerate(c.attributes)
                ),
                keypoint_names=tuple(c.keypoint_names),
            )
            for i, c in enumerate(message.categories)
        ),
        sample_attributes=tuple(
            _definition_from_proto(d, f"{field}.sample_attributes[{j}]")
            for j, d in enumerate(message.sample_attributes)
        ),
    )


def task_attributes_to_proto(attributes: TaskAttributes) -> pb.TaskAttributes:
    return pb.TaskAttributes(
        categories=[
            pb.Category(
                id=c.id,
                name=c.name,
                color=c.color,
                attributes=[_definition_to_proto(d) for d in c.attributes],
                keypoint_names=c.keypoint_names,
            )
            for c in attributes.categories
        ],
        sample_attributes=[_definition_to_proto(d) for d in attributes.sample_attributes],
    )


def settings_from_proto(message: pb.DatasetSettings) -> DatasetSettings:
    mode = InterpolationMode.FRAME_INDEX
    if message.interpolation_mode:
        mode = from_proto(common_pb2.InterpolationMode, message.interpolation_mode,
                          InterpolationMode, "dataset.settings.interpolation_mode")
    return DatasetSettings(mode, message.extrapolate_cuboid_position)


def dataset_from_proto(message: pb.Dataset, *, require_task_type: bool) -> Dataset:
    task_type = (task_type_from_proto(message.task_type, "dataset.task_type")
                 if require_task_type or message.task_type else TaskType.VECTOR)
    return Dataset(
        id=message.id,
        name=message.name,
        owner=message.owner,
        task_type=task_type,
        description=message.description,
        task_attributes=task_attributes_from_proto(message.task_attributes,
                                                   "dataset.task_attributes"),
        settings=settings_from_proto(message.settings),
        metadata=jsondoc.parse_object(message.metadata_json, "dataset.metadata_json"),
    )


def dataset_to_proto(dataset: Dataset) -> pb.Dataset:
    return converted(_dataset_to_proto, dataset, "dataset", dataset.id)


def _dataset_to_proto(dataset: Dataset) -> pb.Dataset:
    return pb.Dataset(
        id=dataset.id,
        name=dataset.name,
        owner=dataset.owner,
        description=dataset.description,
        task_type=task_type_to_proto(dataset.task_type),
        task_attributes=task_attributes_to_proto(dataset.task_attributes),
        settings=pb.DatasetSettings(
            interpolation_mode=to_proto(common_pb2.InterpolationMode,
                                        dataset.settings.interpolation_mode),
            extrapolate_cuboid_position=dataset.settings.extrapolate_cuboid_position,
        ),
        metadata_json=jsondoc.dump(dataset.metadata),
        create_time=timestamp(dataset.create_time),
        update_time=timestamp(dataset.update_time),
        etag=dataset.etag,
        sample_count=dataset.sample_count,
        revision=dataset.read_revision,
        caller_role=dataset.caller_role,
    )


def sample_from_proto(message: pb.Sample, field: str, *, parse_attributes: bool = True) -> Sample:
    return Sample(
        id=message.id,
        dataset_id=message.dataset_id,
        name=message.name,
        attributes=(jsondoc.parse_object(message.attributes_json, f"{field}.attributes_json",
                                         allow_empty=False)
                    if parse_attributes else {}),
        metadata=jsondoc.parse_object(message.metadata_json, f"{field}.metadata_json"),
        priority=message.priority,
        assigned_labeler=message.assigned_labeler,
        assigned_reviewer=message.assigned_reviewer,
    )


def sample_to_proto(sample: Sample) -> pb.Sample:
    return converted(_sample_to_proto, sample, "sample", sample.id)


def _sample_to_proto(sample: Sample) -> pb.Sample:
    return pb.Sample(
        id=sample.id,
        dataset_id=sample.dataset_id,
        name=sample.name,
        attributes_json=jsondoc.dump(sample.attributes),
        metadata_json=jsondoc.dump(sample.metadata),
        priority=sample.priority,
        assigned_labeler=sample.assigned_labeler,
        assigned_reviewer=sample.assigned_reviewer,
        created_by=sample.created_by,
        create_time=timestamp(sample.create_time),
        update_time=timestamp(sample.update_time),
        etag=sample.etag,
        revision=sample.revision,
        frame_count=sample.frame_count,
    )


def frames_to_proto(sample_id: str, task_type: TaskType,
                    frames: list[Frame]) -> pb.GetSampleFramesResponse:
    return converted(lambda items: _frames_to_proto(sample_id, task_type, items), frames,
                     "sample frames", sample_id)


def _frames_to_proto(sample_id: str, task_type: TaskType,
                     frames: list[Frame]) -> pb.GetSampleFramesResponse:
    response = pb.GetSampleFramesResponse(sample_id=sample_id,
                                          task_type=task_type_to_proto(task_type))
    for frame in frames:
        message = response.frames.add(index=frame.index, name=frame.name, url=frame.url)
        if frame.timestamp is not None:
            message.timestamp = frame.timestamp
    return response


def label_set_from_proto(message: pb.LabelSet) -> LabelSet:
    return LabelSet(dataset_id=message.dataset_id, name=message.name,
                    description=message.description)


def label_set_to_proto(label_set: LabelSet) -> pb.LabelSet:
    return pb.LabelSet(
        dataset_id=label_set.dataset_id,
        name=label_set.name,
        description=label_set.description,
        is_default=label_set.is_default,
        create_time=timestamp(label_set.create_time),
    )


def role_from_proto(value: int, field: str) -> Role:
    if value not in Role._value2member_map_:
        raise InvalidArgument.of(field, "one of ROLE_VIEWER, ROLE_LABELER, ROLE_REVIEWER, "
                                        "ROLE_MANAGER, ROLE_ADMIN")
    return Role(value)


def collaborator_from_proto(message: pb.Collaborator) -> Collaborator:
    return Collaborator(
        dataset_id=message.dataset_id,
        user=message.user,
        role=role_from_proto(message.role, "collaborator.role"),
    )


def collaborator_to_proto(collaborator: Collaborator) -> pb.Collaborator:
    return pb.Collaborator(
        dataset_id=collaborator.dataset_id,
        user=collaborator.user,
        role=int(collaborator.role),
        create_time=timestamp(collaborator.create_time),
        update_time=timestamp(collaborator.update_time),
    )


