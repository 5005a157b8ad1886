"""Many pods migrating one fresh PostgreSQL database at once all succeed (issue #14:
without a lock 3 of 4 failed for the dataset and the release service)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db.migrations import migration_lock_key
from tests.support.databases import postgres_database

# Migrating processes, started per test: left to `make test`, out of `make test-fast`.
pytestmark = pytest.mark.slow

MIGRATE = ("import sys; from shared.db.migrations import upgrade; "
           "upgrade(sys.argv[1], sys.argv[2])")


async def _migrate_at_once(service: str, url: str, pods: int) -> list[tuple[int, str]]:
    """Runs `pods` processes that migrate `url` together (each its own Alembic)."""
    processes = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", MIGRATE, service, url,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(pods)]
    outputs = [await p.communicate() for p in processes]
    return [(p.returncode or 0, out.decode()[-2000:]) for p, (out, _) in zip(
        processes, outputs, strict=True)]


@pytest.mark.parametrize("service", ["dataset", "labeling", "release"])
async def test_four_pods_migrating_a_fresh_database_at_once_all_succeed(service: str) -> None:
    async with postgres_database() as url:
        results = await _migrate_at_once(service, url, 4)
        assert [code for code, _ in results] == [0, 0, 0, 0], results
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                versions = (await connection.execute(
                    text("SELECT version_num FROM alembic_version"))).scalars().all()
        finally:
            await engine.dispose()
        assert len(versions) == 1  # one head, written once


async def test_a_pod_waits_for_the_one_migrating() -> None:
    """While another session holds the service's migration lock, an upgrade does not run;
    it finishes once the lock is released."""
    async with postgres_database() as url:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as holder:
                await holder.execute(text("SELECT pg_advisory_lock(:k)"),
                                     {"k": migration_lock_key("dataset")})
                migrating = asyncio.ensure_future(_migrate_at_once("dataset", url, 1))
                # The upgrade is blocked on the lock: wait until PostgreSQL shows it waiting.
                for _ in range(600):
                    waiting = (await holder.execute(text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND NOT granted"))).scalar_one()
                    if waiting:
                        break
                    await asyncio.sleep(0.05)
                assert waiting == 1 and not migrating.done()
                await holder.execute(text("SELECT pg_advisory_unlock(:k)"),
                                     {"k": migration_lock_key("dataset")})
                await holder.commit()
            results = await migrating
            assert [code for code, _ in results] == [0], results
        finally:
            await engine.dispose()
