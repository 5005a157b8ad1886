"""What changed between two releases: a merge of their manifests, both sorted by
sample id, so two releases of any size are compared in constant memory.

A manifest line is `[sample_id, name, {label set: digest}]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ChangeKind(StrEnum):
    SAMPLE_ADDED = "sample-added"
    SAMPLE_REMOVED = "sample-removed"
    LABEL_ADDED = "label-added"
    LABEL_REMOVED = "label-removed"
    LABEL_CHANGED = "label-changed"


@dataclass(frozen=True)
class Change:
    sample_id: str
    sample_name: str
    kind: ChangeKind
    label_set: str = ""


@dataclass
class LabelSetCounts:
    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass
class Summary:
    samples_added: int = 0
    samples_removed: int = 0
    label_sets: dict[str, LabelSetCounts] = field(default_factory=dict)


Entry = tuple[str, str, dict[str, str]]


def parse_manifest(lines: Iterable[str]) -> Iterator[Entry]:
    for line in lines:
        if line.strip():
            sample_id, name, digests = json.loads(line)
            yield str(sample_id), str(name), dict(digests)


def _labels(base: dict[str, str], target: dict[str, str],
            sets: list[str]) -> Iterator[tuple[str, ChangeKind]]:
    for name in sets:
        before, after = base.get(name), target.get(name)
        if before is None and after is not None:
            yield name, ChangeKind.LABEL_ADDED
        elif before is not None and after is None:
            yield name, ChangeKind.LABEL_REMOVED
        elif before != after:
            yield name, ChangeKind.LABEL_CHANGED


def diff(base: Iterator[Entry], target: Iterator[Entry], label_sets: list[str],
         summary: Summary) -> Iterator[Change]:
    """Changes ordered by sample id; counts accumulate in `summary` as they are yielded.

    A sample only in the target is SAMPLE_ADDED (and each of its labels LABEL_ADDED, so
    per-set counts add up); only in the base, SAMPLE_REMOVED (labels LABEL_REMOVED).
    """
    for name in label_sets:
        summary.label_sets.setdefault(name, LabelSetCounts())
    left: Any = next(base, None)
    right: Any = next(target, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left[0] < right[0]):
            summary.samples_removed += 1
            yield Change(left[0], left[1], ChangeKind.SAMPLE_REMOVED)
            changes = _labels(left[2], {}, label_sets)
            name = left[1]
            sample_id = left[0]
            left = next(base, None)
        elif left is None or right[0] < left[0]:
            summary.samples_added += 1
            yield Change(right[0], right[1], ChangeKind.SAMPLE_ADDED)
            changes = _labels({}, right[2], label_sets)
            name, sample_id = right[1], right[0]
            right = next(target, None)
        else:
            changes = _labels(left[2], right[2], label_sets)
            name, sample_id = right[1], right[0]
            left, right = next(base, None), next(target, None)
        for label_set, kind in changes:
            counts = summary.label_sets[label_set]
            if kind is ChangeKind.LABEL_ADDED:
                counts.added += 1
            elif kind is ChangeKind.LABEL_REMOVED:
                counts.removed += 1
            else:
                counts.changed += 1
            yield Change(sample_id, name, kind, label_set)
