"""PostgreSQL: the saves that arrive together share round trips (group commit).

A `Batcher` keeps one call in flight; requests arriving meanwhile queue and go in the
next call, so batches grow with the load and a lone request waits for nothing. Saves
use two: one reads the heads (current revision and hold) of many labels in one query,
one appends many revisions in one function call and one WAL flush. Each save still
gets its own revision and its own compare-and-swap, and is acknowledged after its
batch commits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import asyncpg

from services.labeling.domain.models import Assignment, Label, LabelStatus
from services.labeling.storage.gate import GatedDatabase
from shared.errors import Unavailable

MAX_BATCH = 64

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Runs `call(items) -> results` (one result per item, in order) on queued items."""

    def __init__(self, call: Callable[[list[T]], Awaitable[list[R]]],
                 max_batch: int = MAX_BATCH) -> None:
        self.call = call
        self.max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:self.max_batch]
                del self._pending[:self.max_batch]
                await self._run(batch)
        finally:
            self._drainer = None

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        error: BaseException | None = None
        try:
            results = await self.call([item for item, _ in batch])
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            error = Unavailable(f"database unavailable: {type(exc).__name__}")
        except Exception as exc:  # handed to every waiting caller
            error = exc
        for i, (_, future) in enumerate(batch):
            if future.done():  # its caller was cancelled
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(results[i])


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

Head = tuple[Label | None, Assignment | None]


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
        [json.dumps(x.attributes, separators=(",", ":")) for x in labels],
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


class LabelHeads:
    """A label's head (current state without attributes, and its hold), and appends."""

    def __init__(self, db: GatedDatabase) -> None:
        self.db = db
        self._heads: Batcher[tuple[str, str], Head] = Batcher(self._read)
        self._appends: Batcher[tuple[Label, int], int | None] = Batcher(self._append)

    async def head(self, sample_id: str, label_set: str) -> Head:
        return await self._heads.submit((sample_id, label_set))

    async def append(self, label: Label, previous: int) -> int | None:
        """The new revision, or None when `previous` is no longer current.

        `previous` is the revision read (compare-and-swap) or ANY_PREVIOUS.
        """
        return await self._appends.submit((label, previous))

    async def _read(self, keys: list[tuple[str, str]]) -> list[Head]:
        async with self.db.driver_connection() as connection:
            rows = await connection.fetch(_HEADS, [k[0] for k in keys], [k[1] for k in keys])
        return [_head(s, ls, row) for (s, ls), row in zip(keys, rows, strict=True)]

    async def _append(self, batch: list[tuple[Label, int]]) -> list[int | None]:
        async with self.db.driver_connection() as connection:
            revisions = await connection.fetchval(_APPEND_MANY, *_append_columns(batch))
        return [None if r is None else int(r) for r in revisions]
