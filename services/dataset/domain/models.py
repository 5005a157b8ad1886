"""The dataset service's domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.roles import Role
from shared.task_attributes import TaskAttributes
from shared.task_types import TaskType

__all__ = ["Role"]  # re-exported: the dataset service's collaborators have these roles


class InterpolationMode(StrEnum):
    FRAME_INDEX = "frame-index"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class DatasetSettings:
    interpolation_mode: InterpolationMode = InterpolationMode.FRAME_INDEX
    extrapolate_cuboid_position: bool = False


@dataclass
class Dataset:
    id: str
    name: str
    owner: str
    task_type: TaskType
    description: str = ""
    task_attributes: TaskAttributes = field(default_factory=TaskAttributes)
    settings: DatasetSettings = field(default_factory=DatasetSettings)
    metadata: dict[str, Any] = field(default_factory=dict)
    create_time: datetime | None = None
    update_time: datetime | None = None
    revision: int = 0
    sample_count: int = 0
    # The service-wide revision at the time of reading.
    read_revision: int = 0
    # The role of the caller who read it (0: none).
    caller_role: int = 0

    @property
    def etag(self) -> str:
        return str(self.revision)


@dataclass
class Sample:
    id: str
    dataset_id: str
    name: str
    attributes: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    assigned_labeler: str = ""
    assigned_reviewer: str = ""
    created_by: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    revision: int = 0
    frame_count: int = 1

    @property
    def etag(self) -> str:
        return str(self.revision)


@dataclass(frozen=True)
class Frame:
    index: int
    name: str = ""
    timestamp: float | None = None
    url: str = ""


@dataclass
class LabelSet:
    dataset_id: str
    name: str
    description: str = ""
    is_default: bool = False
    create_time: datetime | None = None


@dataclass
class Collaborator:
    dataset_id: str
    user: str
    role: Role
    create_time: datetime | None = None
    update_time: datetime | None = None


DEFAULT_LABEL_SET = "ground-truth"
