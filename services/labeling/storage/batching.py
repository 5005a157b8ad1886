"""The saves that arrive together share round trips and one commit (group commit).

A `Batcher` keeps one call in flight; requests arriving meanwhile queue and go in the
next call, so batches grow with the load and a lone request waits for nothing. Saves
use two: one reads the heads (current revision and hold) of many labels in one query,
one appends many revisions in one transaction (storage.postgres, storage.sqlite). Each
save still gets its own revision and its own compare-and-swap, and is acknowledged
after its batch commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import asyncpg
import sqlalchemy.exc

from services.labeling.domain.models import Assignment, Label
from shared.errors import Unavailable

MAX_BATCH = 64
# Errors a statement raises for the data of one of its items (a value the database or
# the driver refuses), raised before anything commits: a batch that fails with one is
# retried item by item. Never a connection error: a commit may then have happened.
ITEM_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, asyncpg.DataError,
                                             sqlalchemy.exc.DataError)
# `previous` of an append that replaces whatever is current (a save without an etag).
ANY_PREVIOUS = -1

T = TypeVar("T")
R = TypeVar("R")

# A label's head: its current state without attributes (None: never saved), its hold.
Head = tuple[Label | None, Assignment | None]


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
        except ITEM_ERRORS as exc:
            if len(batch) == 1:
                error = exc
            else:
                # One item's data failed the statement, and with it the whole batch,
                # which wrote nothing: each goes again alone, so only that one fails.
                for one in batch:
                    await self._run([one])
                return
        except Exception as exc:  # handed to every waiting caller
            error = exc
        for i, (_, future) in enumerate(batch):
            if future.done():  # its caller was cancelled
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(results[i])


class HeadStore(Protocol):
    """The two batched statements of a save, on one database."""

    async def read(self, keys: list[tuple[str, str]]) -> list[Head]:
        """The head of each (sample id, label set), in order."""

    async def append(self, batch: list[tuple[Label, int]]) -> list[int | None]:
        """Appends each label, in order: its new revision, or None where `previous` (the
        revision read, or ANY_PREVIOUS) was no longer current; nothing is written then."""

    async def close(self) -> None: ...


class LabelHeads:
    """A label's head, and appends, batched with the concurrent saves."""

    def __init__(self, store: HeadStore) -> None:
        self.store = store
        self._heads: Batcher[tuple[str, str], Head] = Batcher(store.read)
        self._appends: Batcher[tuple[Label, int], int | None] = Batcher(store.append)

    async def head(self, sample_id: str, label_set: str) -> Head:
        return await self._heads.submit((sample_id, label_set))

    async def append(self, label: Label, previous: int) -> int | None:
        """The new revision, or None when `previous` is no longer current.

        `previous` is the revision read (compare-and-swap) or ANY_PREVIOUS.
        """
        return await self._appends.submit((label, previous))

    async def close(self) -> None:
        await self.store.close()
