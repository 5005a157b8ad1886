"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database when reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

POSTGRES_ADMIN_DSN = os.environ.get(
    "FRAMEWISE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("FRAMEWISE_REQUIRE_POSTGRES", "") in ("1", "true", "yes")

_reachable: bool | None = None


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


async def create_postgres_database() -> str:
    """Creates an empty database; returns its name (skips, or fails where PostgreSQL is
    required, when it is unreachable)."""
    if not await postgres_reachable():
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_DSN}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{message}, and FRAMEWISE_REQUIRE_POSTGRES is set")
        pytest.skip(f"{message}: PostgreSQL tests skipped")
    name = f"fw_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def drop_postgres_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


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
