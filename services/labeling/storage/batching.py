"""PostgreSQL: the saves that arrive together are appended in one call (group commit).

One batch is in flight at a time; saves arriving meanwhile queue and go in the next one,
so batches grow with the load and a lone save waits for nothing. Each save still gets
its own revision and its own compare-and-swap; it is acknowledged after its batch
commits.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg

from services.labeling.domain.models import Label
from services.labeling.storage.gate import GatedDatabase
from shared.errors import Unavailable

MAX_BATCH = 64
_APPEND_MANY = ("SELECT fw_append_labels($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                "$13, $14, $15)")

Pending = tuple[Label, int, "asyncio.Future[int | None]"]


def _columns(batch: list[Pending]) -> list[list[Any]]:
    labels = [label for label, _, _ in batch]
    return [
        [x.sample_id for x in labels],
        [x.label_set for x in labels],
        [previous for _, previous, _ in batch],
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


class AppendBatcher:
    def __init__(self, db: GatedDatabase, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._pending: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def append(self, label: Label, previous: int) -> int | None:
        """The new revision, or None when `previous` is no longer current."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((label, previous, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:self.max_batch]
                del self._pending[:self.max_batch]
                await self._write(batch)
        finally:
            self._drainer = None

    async def _write(self, batch: list[Pending]) -> None:
        try:
            async with self.db.driver_connection() as connection:
                revisions = await connection.fetchval(_APPEND_MANY, *_columns(batch))
        except (OSError, asyncpg.PostgresConnectionError,
                asyncpg.InterfaceError) as exc:
            self._fail(batch, Unavailable(f"database unavailable: {type(exc).__name__}"))
            return
        except Exception as exc:  # handed to every waiting save
            self._fail(batch, exc)
            return
        for (_, _, future), revision in zip(batch, revisions, strict=True):
            if not future.done():  # a cancelled call leaves its future done
                future.set_result(None if revision is None else int(revision))

    @staticmethod
    def _fail(batch: list[Pending], error: BaseException) -> None:
        for _, _, future in batch:
            if not future.done():
                future.set_exception(error)
