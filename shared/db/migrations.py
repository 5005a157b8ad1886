"""Alembic, run the same way for every service, on SQLite and PostgreSQL.

Each service keeps its revisions in `services/<name>/storage/migrations/versions`; its
env.py calls `run_env` with the service's metadata.

On PostgreSQL an upgrade holds a transaction-level advisory lock of its service's own for
its whole transaction, so any number of pods may migrate one database at once: the first
migrates, the others wait for it and then find the schema current (without the lock 3
of 4 pods failed on a fresh database: `pg_type` unique violation, `alembic_version`
already exists). A pod that finds the schema current holds the lock for one read.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

SERVICES_ROOT = Path(__file__).resolve().parents[2] / "services"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(SERVICES_ROOT / service / "storage" / "migrations")
    )
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["service"] = service
    return config


# Alembic keeps its running context in module globals: one migration at a time per process
# (tests and benchmarks start several services in one process).
_ALEMBIC_LOCK = threading.Lock()


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Migrates a service's database (blocking; it runs its own event loop)."""
    with _ALEMBIC_LOCK:
        command.upgrade(alembic_config(service, url), revision)


async def upgrade_async(service: str, url: str, revision: str = "head") -> None:
    """Migrates from inside a running event loop, on a thread of its own."""
    await asyncio.to_thread(upgrade, service, url, revision)


def migration_lock_key(service: str) -> int:
    """The advisory lock key of a service's migrations: a stable signed 64-bit number."""
    digest = hashlib.sha256(f"framewise:{service}:migrations".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _run_migrations(connection: Connection, metadata: MetaData) -> None:
    if connection.dialect.name == "postgresql":
        # Taken first in the transaction Alembic then joins; released by its commit.
        service = context.config.attributes.get("service", "")
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": migration_lock_key(service)})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(metadata: MetaData) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    connectable = async_engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    async with connectable.connect() as connection:
        await connection.run_sync(_run_migrations, metadata)
        # Alembic commits its own transaction; this covers drivers that autobegin one.
        await connection.commit()
    await connectable.dispose()


def run_env(metadata: MetaData) -> None:
    """The body of every service's alembic env.py."""
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(metadata))
