"""Rows to domain objects and back (the JSON shapes stored for task attributes)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.dataset.domain.models import (
    Collaborator,
    Dataset,
    DatasetSettings,
    InterpolationMode,
    LabelSet,
    Role,
    Sample,
)
from services.dataset.storage.tables import CollaboratorRow, DatasetRow, LabelSetRow, SampleRow
from shared.task_attributes import AttributeDefinition, Category, InputType, TaskAttributes
from shared.task_types import TaskType


def definition_to_json(definition: AttributeDefinition) -> dict[str, Any]:
    data = asdict(definition)
    data["input_type"] = definition.input_type.value
    data["values"] = list(definition.values)
    return data


def definition_from_json(data: dict[str, Any]) -> AttributeDefinition:
    return AttributeDefinition(
        name=data["name"],
        input_type=InputType(data["input_type"]),
        values=tuple(data.get("values", ())),
        min=data.get("min"),
        max=data.get("max"),
        step=data.get("step"),
        default=data.get("default"),
        is_mandatory=bool(data.get("is_mandatory")),
        is_track_level=bool(data.get("is_track_level")),
    )


def task_attributes_to_json(attributes: TaskAttributes) -> dict[str, Any]:
    return {
        "categories": [
            {
                "id": c.id,
                "name": c.name,
                "color": c.color,
                "attributes": [definition_to_json(d) for d in c.attributes],
                "keypoint_names": list(c.keypoint_names),
            }
            for c in attributes.categories
        ],
        "sample_attributes": [definition_to_json(d) for d in attributes.sample_attributes],
    }


def task_attributes_from_json(data: dict[str, Any]) -> TaskAttributes:
    return TaskAttributes(
        categories=tuple(
            Category(
                id=c["id"],
                name=c["name"],
                color=c.get("color", ""),
                attributes=tuple(definition_from_json(d) for d in c.get("attributes", ())),
                keypoint_names=tuple(c.get("keypoint_names", ())),
            )
            for c in data.get("categories", ())
        ),
        sample_attributes=tuple(
            definition_from_json(d) for d in data.get("sample_attributes", ())
        ),
    )


def settings_to_json(settings: DatasetSettings) -> dict[str, Any]:
    return {
        "interpolation_mode": settings.interpolation_mode.value,
        "extrapolate_cuboid_position": settings.extrapolate_cuboid_position,
    }


def settings_from_json(data: dict[str, Any]) -> DatasetSettings:
    return DatasetSettings(
        interpolation_mode=InterpolationMode(data.get("interpolation_mode", "frame-index")),
        extrapolate_cuboid_position=bool(data.get("extrapolate_cuboid_position")),
    )


def dataset_from_row(row: DatasetRow) -> Dataset:
    return Dataset(
        id=row.id,
        name=row.name,
        owner=row.owner,
        task_type=TaskType(row.task_type),
        description=row.description,
        task_attributes=task_attributes_from_json(row.task_attributes),
        settings=settings_from_json(row.settings),
        metadata=row.metadata_,
        create_time=row.create_time,
        update_time=row.update_time,
        revision=row.revision,
    )


def dataset_to_row_values(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "owner": dataset.owner,
        "name": dataset.name,
        "description": dataset.description,
        "task_type": dataset.task_type.value,
        "task_attributes": task_attributes_to_json(dataset.task_attributes),
        "settings": settings_to_json(dataset.settings),
        "metadata_": dataset.metadata,
        "create_time": dataset.create_time,
        "update_time": dataset.update_time,
        "revision": dataset.revision,
    }


def sample_from_row(row: SampleRow) -> Sample:
    return Sample(
        id=row.id,
        dataset_id=row.dataset_id,
        name=row.name,
        attributes=row.attributes,
        metadata=row.metadata_,
        priority=row.priority,
        assigned_labeler=row.assigned_labeler,
        assigned_reviewer=row.assigned_reviewer,
        created_by=row.created_by,
        create_time=row.create_time,
        update_time=row.update_time,
        revision=row.revision,
        frame_count=row.frame_count,
    )


def sample_to_row_values(sample: Sample) -> dict[str, Any]:
    return {
        "id": sample.id,
        "revision": sample.revision,
        "superseded_revision": None,
        "dataset_id": sample.dataset_id,
        "name": sample.name,
        "attributes": sample.attributes,
        "metadata_": sample.metadata,
        "priority": sample.priority,
        "assigned_labeler": sample.assigned_labeler,
        "assigned_reviewer": sample.assigned_reviewer,
        "created_by": sample.created_by,
        "create_time": sample.create_time,
        "update_time": sample.update_time,
        "frame_count": sample.frame_count,
    }


def label_set_from_row(row: LabelSetRow) -> LabelSet:
    return LabelSet(
        dataset_id=row.dataset_id,
        name=row.name,
        description=row.description,
        is_default=row.is_default,
        create_time=row.create_time,
    )


def collaborator_from_row(row: CollaboratorRow) -> Collaborator:
    return Collaborator(
        dataset_id=row.dataset_id,
        user=row.user,
        role=Role(row.role),
        create_time=row.create_time,
        update_time=row.update_time,
    )
