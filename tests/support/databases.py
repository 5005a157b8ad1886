"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database when reachable."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

POSTGRES_ADMIN_DSN = os.environ.get(
    "FRAMEWISE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("FRAMEWISE_REQUIRE_POSTGRES", "") in ("1", "true", "yes")

_reachable: bool | None = None
T = TypeVar("T")


async def postgres_reachable() -> bool:
    global _reachable
    if _reachable is None:
        try:
            connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
            await connection.close()
            _reachable = True
        except (OSError, asyncpg.PostgresError, TimeoutError):
            _reachable = False
    return _reachable


def _asyncpg_url(database: str) -> str:
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


async def _create(name: str) -> str:
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class _Janitor:
    """Creating and dropping PostgreSQL databases off the tests' path.

    A DROP DATABASE of a database a test wrote to waits on the disk (about a second on a
    busy machine) and a CREATE DATABASE copies a template: on an event loop of its own
    thread, a few empty databases are made ahead and finished ones dropped while the next
    test runs. Whatever is left is dropped when the test process exits.
    """

    AHEAD = 2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: list[concurrent.futures.Future[str]] = []
        self._drops: list[concurrent.futures.Future[None]] = []

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="postgres-janitor",
                             daemon=True).start()
            atexit.register(self.close)
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    @staticmethod
    def _name() -> str:
        return f"fw_test_{uuid.uuid4().hex[:12]}"

    async def take(self) -> str:
        with self._lock:
            while len(self._ready) < self.AHEAD + 1:
                self._ready.append(self._submit(_create(self._name())))
            made = self._ready.pop(0)
        return await asyncio.wrap_future(made)

    def drop(self, name: str) -> None:
        with self._lock:
            self._drops = [f for f in self._drops if not f.done()]
            self._drops.append(self._submit(_drop(name)))

    def close(self) -> None:
        """Drops the databases made ahead and waits for every drop (at exit)."""
        with self._lock:
            ready, self._ready = self._ready, []
            for made in ready:
                with contextlib.suppress(Exception):
                    self._drops.append(self._submit(_drop(made.result(timeout=60))))
            drops, self._drops = self._drops, []
        concurrent.futures.wait(drops, timeout=120)


_janitor = _Janitor()


async def create_postgres_database() -> str:
    """Creates an empty database; returns its name (skips, or fails where PostgreSQL is
    required, when it is unreachable)."""
    if not await postgres_reachable():
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_DSN}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{message}, and FRAMEWISE_REQUIRE_POSTGRES is set")
        pytest.skip(f"{message}: PostgreSQL tests skipped")
    return await _janitor.take()


async def drop_postgres_database(name: str) -> None:
    """Drops it in the background: its name is never used again."""
    _janitor.drop(name)


def postgres_url(name: str) -> str:
    """The SQLAlchemy URL of a database made by create_postgres_database."""
    return _asyncpg_url(name)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """Creates an empty database, yields its SQLAlchemy URL, drops it afterwards."""
    name = await create_postgres_database()
    try:
        yield _asyncpg_url(name)
    finally:
        await drop_postgres_database(name)


@asynccontextmanager
async def database_url(kind: str, directory: Path, name: str = "db") -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{name}.db'}"
        return
    async with postgres_database() as url:
        yield url
