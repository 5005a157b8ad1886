"""One object per service holding its engines and handing out units of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.dialects import create_engines, is_sqlite
from shared.errors import Unavailable


class Database:
    """Engines of one service's database; `write()` and `read()` open transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self.writer_engine, self.reader_engine = create_engines(url)
        self._writer = async_sessionmaker(self.writer_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.reader_engine, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that may write: committed on success, rolled back on error."""
        async with self._session(self._writer) as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction (one consistent view on both databases)."""
        async with self._session(self._reader) as session:
            yield session

    @asynccontextmanager
    async def _session(
        self, maker: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        try:
            async with maker() as session, session.begin():
                yield session
        except (OperationalError, DBAPIError) as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise Unavailable(f"database unavailable: {type(exc.orig).__name__}") from exc
            raise

    async def dispose(self) -> None:
        await self.writer_engine.dispose()
        if self.reader_engine is not self.writer_engine:
            await self.reader_engine.dispose()
