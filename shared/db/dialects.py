"""Everything that differs between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    """WAL, a busy timeout, and transactions that lock for writing when they begin.

    pysqlite's default transaction handling starts the transaction only at the first
    write, so a read-modify-write loses updates under concurrency; `BEGIN IMMEDIATE`
    takes the write lock up front (NOTES.md measured the difference).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engines(url: str) -> tuple[AsyncEngine, AsyncEngine]:
    """Returns (writer, reader) engines for `url`.

    On SQLite the writer begins every transaction with BEGIN IMMEDIATE and the reader
    with a deferred BEGIN, so readers never queue behind writers (WAL). On PostgreSQL
    one engine serves both; writers lock the rows they change (SELECT ... FOR UPDATE).
    """
    if is_sqlite(url):
        writer = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        _configure_sqlite(writer, immediate=True)
        reader = create_async_engine(url, pool_size=4, max_overflow=4, pool_timeout=60)
        _configure_sqlite(reader, immediate=False)
        return writer, reader
    engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    return engine, engine
