"""Rows to domain objects and back."""

from __future__ import annotations

from typing import Any

from services.labeling.domain import documents
from services.labeling.domain.models import Assignment, Label, LabelStatus
from services.labeling.storage.tables import HoldRow, LabelRow


def label_from_row(row: LabelRow, document: str) -> Label:
    """`document`: the row's attributes as JSON text (repository._labels)."""
    attributes, problem = documents.parse_stored(document)
    return Label(
        sample_id=row.sample_id,
        label_set=row.label_set,
        dataset_id=row.dataset_id,
        attributes=attributes,
        attributes_problem=problem,
        status=LabelStatus(row.status),
        score=row.score,
        created_by=row.created_by,
        create_time=row.create_time,
        updated_by=row.updated_by,
        update_time=row.update_time,
        reviewed_by=row.reviewed_by,
        review_time=row.review_time,
        revision=row.revision,
        deleted=row.deleted,
        max_track_id=row.max_track_id,
    )


def label_to_row_values(label: Label) -> dict[str, Any]:
    return {
        "sample_id": label.sample_id,
        "label_set": label.label_set,
        "revision": label.revision,
        "superseded_revision": None,
        "dataset_id": label.dataset_id,
        "deleted": label.deleted,
        "attributes": label.attributes,
        "status": label.status.value,
        "score": label.score,
        "max_track_id": label.max_track_id,
        "created_by": label.created_by,
        "create_time": label.create_time,
        "updated_by": label.updated_by,
        "update_time": label.update_time,
        "reviewed_by": label.reviewed_by,
        "review_time": label.review_time,
    }


def assignment_from_row(row: HoldRow) -> Assignment:
    return Assignment(sample_id=row.sample_id, label_set=row.label_set, labeler=row.labeler,
                      dataset_id=row.dataset_id, assign_time=row.assign_time)
