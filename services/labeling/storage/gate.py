"""At most as many open transactions as the connection pool holds.

Under a burst (32 concurrent saves) SQLAlchemy's pool opens overflow connections and
closes them again as soon as they are returned: a new PostgreSQL connection per save,
which cost about 10 ms of CPU each (measured with bench/labeling.py). Queueing in the
process instead keeps the pool's connections warm; saves are serialised by the
revision counter anyway, so no throughput is lost by waiting here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
