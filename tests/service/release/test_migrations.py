"""The release service's migrations take an empty database to head, matching its tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.release.storage.tables import Base
from shared.db.migrations import upgrade_async


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_empty_database_to_head_matches_the_tables(db_url: str):
    await upgrade_async("release", db_url)
    await upgrade_async("release", db_url)  # a second run is a no-op
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert diff == []
