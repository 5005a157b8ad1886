"""PostgreSQL: a save's head read and its append (migrations 0002 and 0003), batched.

Both run on the asyncpg connection itself, kept between batches (storage.gate), each
statement its own transaction: the append is one function call, so the revision
counter's row lock is held only inside the server, and the saves of a batch share
one WAL flush.
"""

from __future__ import annotations

import json
from typing import Any

from services.labeling.domain.models import Assignment, Label, LabelStatus
from services.labeling.storage.batching import Head
from services.labeling.storage.gate import GatedDatabase

_HEADS = """
SELECT l.revision, l.deleted, l.status, l.created_by, l.create_time, l.reviewed_by,
       l.review_time, l.dataset_id,
       (SELECT h.labeler FROM holds h WHERE h.sample_id = k.s AND h.label_set = k.ls) AS holder
FROM unnest($1::varchar[], $2::varchar[]) WITH ORDINALITY AS k(s, ls, i)
LEFT JOIN label_revisions l
  ON l.sample_id = k.s AND l.label_set = k.ls AND l.superseded_revision IS NULL
ORDER BY k.i
"""
_APPEND_MANY = ("SELECT fw_append_labels($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                "$13, $14, $15)")


def _head(sample_id: str, label_set: str, row: Any) -> Head:
    hold = None if row["holder"] is None else Assignment(sample_id, label_set, row["holder"])
    if row["revision"] is None:
        return None, hold
    label = Label(
        sample_id=sample_id, label_set=label_set, dataset_id=row["dataset_id"],
        status=LabelStatus(row["status"]), created_by=row["created_by"],
        create_time=row["create_time"], reviewed_by=row["reviewed_by"],
        review_time=row["review_time"], revision=row["revision"], deleted=row["deleted"],
    )
    return label, hold


def _append_columns(batch: list[tuple[Label, int]]) -> list[list[Any]]:
    labels = [label for label, _ in batch]
    return [
        [x.sample_id for x in labels],
        [x.label_set for x in labels],
        [previous for _, previous in batch],
        [x.dataset_id for x in labels],
        [x.deleted for x in labels],
        # A save's text was checked before (documents.encode): reuse it.
        [x.attributes_json if x.attributes_json is not None
         else json.dumps(x.attributes, separators=(",", ":")) for x in labels],
        [x.status.value for x in labels],
        [x.score for x in labels],
        [x.max_track_id for x in labels],
        [x.created_by for x in labels],
        [x.create_time for x in labels],
        [x.updated_by for x in labels],
        [x.update_time for x in labels],
        [x.reviewed_by for x in labels],
        [x.review_time for x in labels],
    ]


class PostgresHeads:
    """storage.batching.HeadStore on PostgreSQL."""

    def __init__(self, db: GatedDatabase) -> None:
        # One connection each: a Batcher has one call in flight.
        self._read_connection = db.pinned()
        self._append_connection = db.pinned()

    async def read(self, keys: list[tuple[str, str]]) -> list[Head]:
        async with self._read_connection.driver() as connection:
            rows = await connection.fetch(_HEADS, [k[0] for k in keys], [k[1] for k in keys])
        return [_head(s, ls, row) for (s, ls), row in zip(keys, rows, strict=True)]

    async def append(self, batch: list[tuple[Label, int]]) -> list[int | None]:
        async with self._append_connection.driver() as connection:
            revisions = await connection.fetchval(_APPEND_MANY, *_append_columns(batch))
        return [None if r is None else int(r) for r in revisions]

    async def close(self) -> None:
        await self._read_connection.close()
        await self._append_connection.close()
