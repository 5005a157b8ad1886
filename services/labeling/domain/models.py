"""The labeling service's domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.task_attributes import TaskAttributes
from shared.task_types import TaskType

DEFAULT_LABEL_SET = "ground-truth"


class LabelStatus(StrEnum):
    UNLABELED = "unlabeled"
    LABELING_IN_PROGRESS = "labeling-in-progress"
    LABELED = "labeled"
    REVIEWING_IN_PROGRESS = "reviewing-in-progress"
    REVIEWED = "reviewed"
    REJECTED = "rejected"
    PRELABELED = "prelabeled"
    SKIPPED = "skipped"
    VERIFIED = "verified"


# Statuses that record a reviewer's verdict: setting one stamps reviewed_by/at.
REVIEW_STATUSES = frozenset({LabelStatus.REVIEWED, LabelStatus.REJECTED, LabelStatus.VERIFIED})
# A sample whose label has one of these still needs a labeler (ClaimNextSample).
OPEN_STATUSES = frozenset({LabelStatus.UNLABELED})


@dataclass(frozen=True)
class DatasetInfo:
    """What the labeling service needs of a dataset (read from the dataset service)."""

    id: str
    task_type: TaskType
    task_attributes: TaskAttributes = field(default_factory=TaskAttributes)
    # The role on the dataset of the caller it was read for (0: none).
    caller_role: int = 0
    # The dataset service's change marker when this was read (0: unknown); it grows with
    # every change there, samples included.
    revision: int = 0


@dataclass(frozen=True)
class Sensor:
    name: str
    task_type: TaskType
    frame_count: int


@dataclass(frozen=True)
class SampleInfo:
    """What the labeling service needs of a sample (read from the dataset service)."""

    id: str
    dataset_id: str
    frame_count: int
    priority: int = 0
    assigned_labeler: str = ""
    sensors: tuple[Sensor, ...] = ()


@dataclass
class Label:
    """One state of a label: the current one, or an older revision."""

    sample_id: str
    label_set: str
    dataset_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    status: LabelStatus = LabelStatus.LABELED
    score: float | None = None
    created_by: str = ""
    create_time: datetime | None = None
    updated_by: str = ""
    update_time: datetime | None = None
    reviewed_by: str = ""
    review_time: datetime | None = None
    revision: int = 0
    deleted: bool = False
    # Highest track id the label uses (0 when none): AllocateTrackIds starts above it.
    max_track_id: int = 0
    # The attributes' JSON text when it is known to be exact (a save: documents.encode);
    # None: rendered from `attributes` when served (documents.render_stored).
    attributes_json: str | None = None
    # Why the stored document could not be read at all ("" when it could): it is then
    # served as {} with this reason (documents.parse_stored).
    attributes_problem: str = ""

    @property
    def etag(self) -> str:
        return str(self.revision) if self.revision else ""


@dataclass(frozen=True)
class LabelDraft:
    """What a client sends to SaveLabel, before validation."""

    sample_id: str
    label_set: str
    attributes: dict[str, Any]
    status: LabelStatus | None
    score: float | None
    etag: str


@dataclass(frozen=True)
class Assignment:
    sample_id: str
    label_set: str
    labeler: str = ""
    dataset_id: str = ""
    assign_time: datetime | None = None
