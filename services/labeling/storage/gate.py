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

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database

# Below the PostgreSQL engine's pool_size (10, shared.db.dialects), with room for
# streams; SQLite's writer has a single connection and queues on its own.
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

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncSession]:
        """PostgreSQL: a session whose every statement is its own transaction.

        For the one-call append (storage.postgres): the revision lock is then held only
        inside the server, never across a round trip to this process.
        """
        async with self._gate, self.inner.writer_engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=connection, expire_on_commit=False) as session:
                yield session

    @asynccontextmanager
    async def driver_connection(self) -> AsyncIterator[Any]:
        """PostgreSQL: the pooled asyncpg connection itself, outside any transaction.

        Every statement on it is its own transaction; it goes back to the pool after.
        """
        async with self._gate, self.inner.writer_engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            # Statements must commit on their own: an open transaction would hold them.
            assert not driver.is_in_transaction()
            yield driver
