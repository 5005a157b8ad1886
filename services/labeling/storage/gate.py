"""The service's database access: at most as many open transactions as the pool holds.

Under a burst (32 concurrent saves) SQLAlchemy's pool would open overflow connections
and close them again as soon as they are returned; queueing here keeps the pool's
connections warm instead. Saves are serialised by the revision counter anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.db import Database

# Below the PostgreSQL engine's pool_size (10, shared.db.dialects), with room for
# streams and the two pinned connections of the save batches (storage.batching);
# SQLite's writer has a single connection and queues on its own.
MAX_OPEN_TRANSACTIONS = 8


class GatedDatabase:
    """`Database.write()` and `read()`, each behind one process-wide gate."""

    def __init__(self, db: Database, limit: int = MAX_OPEN_TRANSACTIONS) -> None:
        self.inner = db
        self.is_sqlite = db.is_sqlite
        self._gate = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._gate, self.inner.write() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._gate, self.inner.read() as session:
            yield session

    def pinned(self) -> PinnedConnection:
        """PostgreSQL: a connection of the writer's pool kept for one user (see below)."""
        return PinnedConnection(self.inner.writer_engine)


class PinnedConnection:
    """PostgreSQL: one pooled asyncpg connection kept checked out between uses.

    For a user that has one statement in flight at a time (a save Batcher): a checkout
    from the pool costs a pre-ping (three round trips) and Python work on every batch.
    Statements on it commit on their own (no transaction is opened). A use that fails
    drops the connection (it may be broken or mid-statement); the next one reconnects.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._lock = asyncio.Lock()
        self._connection: AsyncConnection | None = None
        self._driver: Any = None

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Any]:
        async with self._lock:
            if self._connection is None:
                connection = await self.engine.connect()
                try:
                    raw = await connection.get_raw_connection()
                except BaseException:
                    await connection.close()
                    raise
                self._connection, self._driver = connection, raw.driver_connection
            try:
                yield self._driver
            except BaseException:
                await self._drop()
                raise
            # Statements must commit on their own: an open transaction would hold them.
            if self._driver.is_in_transaction():
                await self._drop()

    async def _drop(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            try:
                await connection.invalidate()
            finally:
                await connection.close()

    async def close(self) -> None:
        """Gives the connection back to the pool (before the engine is disposed)."""
        async with self._lock:
            connection, self._connection, self._driver = self._connection, None, None
            if connection is not None:
                await connection.close()
