"""Each service's migrations take an empty database to head, matching its tables."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.dataset.storage.tables import Base as DatasetBase
from shared.db.migrations import upgrade_async

MIGRATED = {"dataset": DatasetBase.metadata}


def _differences(connection, metadata: MetaData) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


@pytest.mark.parametrize("service", sorted(MIGRATED))
async def test_empty_database_to_head_matches_the_tables(service, db_url):
    await upgrade_async(service, db_url)
    await upgrade_async(service, db_url)  # a second run is a no-op
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(_differences, MIGRATED[service])
    finally:
        await engine.dispose()
    assert set(MIGRATED[service].tables) <= tables
    assert "alembic_version" in tables
    assert diff == []


async def test_concurrent_upgrades_of_one_sqlite_file_do_not_fail(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    await upgrade_async("dataset", url)
    await asyncio.gather(*(upgrade_async("dataset", url) for _ in range(3)))
