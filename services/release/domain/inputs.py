"""What a release reads from the other services, as the use cases and the build take it:
the peers (services/release/peers) convert their messages into these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the dataset service serves it to the caller."""

    id: str
    revision: int
    caller_role: int
    # The release file's `dataset` object without its label sets (and samples).
    header: dict[str, Any]


@dataclass(frozen=True)
class LabelSetInfo:
    name: str
    description: str
    is_default: bool


@dataclass(frozen=True)
class SampleEntry:
    """A sample as the release file writes it: its id, name and head (release-file text)."""

    id: str
    name: str
    head: str


@dataclass(frozen=True)
class LabelEntry:
    """A stored label as the build stages it."""

    sample_id: str
    revision: int
    attributes_json: str
    # Why the stored document is served degraded ("" when it is not): left out then.
    attributes_problem: str
    head: str  # release-file text of the label's head (status, who, when, revision)
    digest: str  # what DiffReleases compares: the label's content, not when it was saved


def dataset_header(dataset: DatasetInfo, label_sets: Sequence[LabelSetInfo]) -> dict[str, Any]:
    """The release file's `dataset` object, without its samples."""
    return {**dataset.header,
            "labelsets": [{"name": s.name, "description": s.description,
                           "is_default": s.is_default} for s in label_sets]}
