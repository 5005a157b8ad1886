"""Releases and the snapshot of the dataset they were accepted against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.errors import Violations
from shared.limits import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_REQUEST_ID_LENGTH

DEFAULT_LABEL_SET = "ground-truth"


class ReleaseStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Snapshot:
    """What CreateRelease pinned: the dataset header and the revisions of both services.

    `dataset` is the release file's `dataset` object without `samples` (name, owner,
    task_type, task_attributes, labelsets, ...), taken when the release was accepted so
    that an edit of the dataset during the build does not leak into the file.
    """

    dataset: dict[str, Any]
    dataset_revision: int
    label_revision: int

    @property
    def task_type(self) -> str:
        return str(self.dataset["task_type"])

    @property
    def label_sets(self) -> list[str]:
        return [str(s["name"]) for s in self.dataset.get("labelsets", [])]


@dataclass
class Release:
    id: str
    dataset_id: str
    name: str
    description: str
    status: ReleaseStatus
    created_by: str
    create_time: datetime
    dataset_revision: int = 0
    label_revision: int = 0
    failure_reason: str = ""
    sample_count: int = 0
    file_size_bytes: int = 0
    content_sha256: str = ""
    complete_time: datetime | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0

    @property
    def blob_key(self) -> str:
        return release_blob_key(self.id)

    @property
    def manifest_key(self) -> str:
        return manifest_blob_key(self.id)


def release_blob_key(release_id: str) -> str:
    return f"{release_id}.json"


def manifest_blob_key(release_id: str) -> str:
    """Per sample id (sorted): name and a digest of each label; what DiffReleases reads."""
    return f"{release_id}.manifest.jsonl"


@dataclass(frozen=True)
class ReleaseDraft:
    dataset_id: str
    name: str
    description: str


def check_draft(draft: ReleaseDraft, request_id: str) -> None:
    """Every bad field of a CreateRelease request at once."""
    violations = Violations()
    if not draft.dataset_id:
        violations.add("release.dataset_id", "required")
    if not draft.name.strip():
        violations.add("release.name", "required")
    elif len(draft.name) > MAX_NAME_LENGTH:
        violations.add("release.name", f"at most {MAX_NAME_LENGTH} characters")
    elif any(not c.isprintable() for c in draft.name):
        violations.add("release.name", "must not contain control characters")
    if len(draft.description) > MAX_DESCRIPTION_LENGTH:
        violations.add("release.description", f"at most {MAX_DESCRIPTION_LENGTH} characters")
    if len(request_id) > MAX_REQUEST_ID_LENGTH:
        violations.add("request_id", f"at most {MAX_REQUEST_ID_LENGTH} characters")
    violations.raise_if_any()
