"""SQLite: a save's head read and its append, batched (group commit).

SQLite has one writer at a time (BEGIN IMMEDIATE) and every statement is a hop to the
driver's thread, so saves done one by one queue behind each other's seven statements.
Batched, the heads of many labels are one query outside the write lock (WAL readers
never wait for the writer), and the appends of many saves are one transaction of four
statements whatever their number: take their revisions, read what is current under
the lock, supersede, insert. The rules are PostgreSQL's fw_append_label (migration
0002), applied in order, so two saves of one label in a batch chain like two commits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update

from services.labeling.domain.models import Assignment, Label, LabelStatus
from services.labeling.storage import codec
from services.labeling.storage.batching import ANY_PREVIOUS, Head
from services.labeling.storage.gate import GatedDatabase
from services.labeling.storage.tables import HoldRow, LabelRow, RevisionCounter
from shared.db.revisions import COUNTER_ROW_ID

_LABELS = cast(Table, LabelRow.__table__)  # a declarative class's table is a Table
_CURRENT = LabelRow.superseded_revision.is_(None)
_HEAD_COLUMNS = (LabelRow.sample_id, LabelRow.label_set, LabelRow.revision, LabelRow.deleted,
                 LabelRow.status, LabelRow.created_by, LabelRow.create_time,
                 LabelRow.reviewed_by, LabelRow.review_time, LabelRow.dataset_id)
_SUPERSEDE = (
    update(_LABELS)
    .where(and_(_LABELS.c.sample_id == bindparam("key_sample_id"),
                _LABELS.c.label_set == bindparam("key_label_set"),
                _LABELS.c.revision == bindparam("old_revision")))
    .values(superseded_revision=bindparam("new_revision"))
)


@dataclass
class _Current:
    revision: int
    deleted: bool
    created_by: str
    create_time: datetime | None


class SqliteHeads:
    """storage.batching.HeadStore on SQLite."""

    def __init__(self, db: GatedDatabase) -> None:
        self.db = db

    async def read(self, keys: list[tuple[str, str]]) -> list[Head]:
        samples = sorted({sample_id for sample_id, _ in keys})
        async with self.db.read() as session:
            rows = (await session.execute(
                select(*_HEAD_COLUMNS).where(LabelRow.sample_id.in_(samples), _CURRENT))).all()
            holds = (await session.execute(
                select(HoldRow.sample_id, HoldRow.label_set, HoldRow.labeler)
                .where(HoldRow.sample_id.in_(samples)))).all()
        labels = {(r.sample_id, r.label_set): r for r in rows}
        holders = {(h.sample_id, h.label_set): h.labeler for h in holds}
        return [(_label(labels.get(key)), _hold(key, holders.get(key))) for key in keys]

    async def append(self, batch: list[tuple[Label, int]]) -> list[int | None]:
        samples = sorted({label.sample_id for label, _ in batch})
        async with self.db.write() as session:
            last = (await session.execute(
                update(RevisionCounter).where(RevisionCounter.id == COUNTER_ROW_ID)
                .values(value=RevisionCounter.value + len(batch))
                .returning(RevisionCounter.value))).scalar_one()
            rows = (await session.execute(
                select(LabelRow.sample_id, LabelRow.label_set, LabelRow.revision,
                       LabelRow.deleted, LabelRow.created_by, LabelRow.create_time)
                .where(LabelRow.sample_id.in_(samples), _CURRENT))).all()
            current = {(r.sample_id, r.label_set): _Current(r.revision, r.deleted, r.created_by,
                                                            r.create_time) for r in rows}
            revisions, supersede, inserts = _plan(batch, last - len(batch) + 1, current)
            if supersede:
                await session.execute(_SUPERSEDE, supersede)
            if inserts:
                await session.execute(insert(_LABELS), inserts)
        return revisions

    async def close(self) -> None:
        pass  # its transactions come from the pool and go back to it


def _plan(batch: list[tuple[Label, int]], first: int, current: dict[tuple[str, str], _Current],
          ) -> tuple[list[int | None], list[dict[str, Any]], list[dict[str, Any]]]:
    """(revision or None per save, rows to supersede, rows to insert) of a batch whose
    revisions start at `first`; `current` is updated as each save lands."""
    revisions: list[int | None] = []
    supersede: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    inserted: dict[tuple[str, str], dict[str, Any]] = {}  # current rows of this batch
    for i, (label, previous) in enumerate(batch):
        key = (label.sample_id, label.label_set)
        revision = first + i
        old = current.get(key)
        if previous != ANY_PREVIOUS and (old is None or old.revision != previous):
            revisions.append(None)  # a lost compare-and-swap: the revision is a gap
            continue
        values = codec.label_to_row_values(replace(label, revision=revision))
        if old is not None:
            if previous == ANY_PREVIOUS and not old.deleted:
                # An overwrite keeps who created the label, whatever the caller read.
                values["created_by"], values["create_time"] = old.created_by, old.create_time
            if key in inserted:
                inserted[key]["superseded_revision"] = revision
            else:
                supersede.append({"key_sample_id": key[0], "key_label_set": key[1],
                                  "old_revision": old.revision, "new_revision": revision})
        inserted[key] = values
        inserts.append(values)
        current[key] = _Current(revision, label.deleted, values["created_by"],
                                values["create_time"])
        revisions.append(revision)
    return revisions, supersede, inserts


def _label(row: Any) -> Label | None:
    if row is None:
        return None
    return Label(
        sample_id=row.sample_id, label_set=row.label_set, dataset_id=row.dataset_id,
        status=LabelStatus(row.status), created_by=row.created_by,
        create_time=row.create_time, reviewed_by=row.reviewed_by,
        review_time=row.review_time, revision=row.revision, deleted=row.deleted,
    )


def _hold(key: tuple[str, str], labeler: str | None) -> Assignment | None:
    return None if labeler is None else Assignment(key[0], key[1], labeler)
