"""Each service's migrations take an empty database to head, matching its tables, and
back down to nothing and up again; concurrent upgrades of one file leave one schema."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.dataset.storage.tables import Base as DatasetBase
from services.labeling.storage.tables import Base as LabelingBase
from services.release.storage.tables import Base as ReleaseBase
from shared.db import migrations
from shared.db.migrations import alembic_config, upgrade_async

MIGRATED = {"dataset": DatasetBase.metadata, "labeling": LabelingBase.metadata,
            "release": ReleaseBase.metadata}
# Services whose write path has a PostgreSQL function of its own (created by a migration).
POSTGRES_FUNCTIONS = {"labeling": {"fw_append_label", "fw_append_labels"}}
# Services with a service-wide revision counter: the first migration inserts its one row.
COUNTED = {"dataset", "labeling"}


def _head(service: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(service, "sqlite://")).get_current_head()
    assert head is not None
    return head


async def _downgrade_to_base(service: str, url: str) -> None:
    def downgrade() -> None:
        with migrations._ALEMBIC_LOCK:  # Alembic's context is process-global
            command.downgrade(alembic_config(service, url), "base")

    await asyncio.to_thread(downgrade)


def _schema(connection: Connection, service: str) -> dict[str, Any]:
    """What the database holds, as far as the checks below need."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    schema: dict[str, Any] = {
        "tables": tables,
        "indexes": {table: {index["name"] for index in inspector.get_indexes(table)}
                    for table in tables},
        "version": context.get_current_revision(),
        "version_rows": (connection.execute(text("SELECT count(*) FROM alembic_version"))
                         .scalar_one() if "alembic_version" in tables else None),
        "functions": set(),
        "counter": None,
    }
    if tables >= set(MIGRATED[service].tables):
        schema["diff"] = compare_metadata(context, MIGRATED[service])
    if "revision_counter" in tables:
        schema["counter"] = connection.execute(
            text("SELECT id, value FROM revision_counter")).all()
    if connection.dialect.name == "postgresql":
        schema["functions"] = set(connection.execute(text(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'fw\\_%'")).scalars())
    return schema


async def _inspect(url: str, service: str) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_schema, service)
    finally:
        await engine.dispose()


def _assert_at_head(schema: dict[str, Any], service: str, dialect: str) -> None:
    metadata = MIGRATED[service]
    assert schema["version"] == _head(service)
    assert schema["version_rows"] == 1
    assert schema["tables"] == set(metadata.tables) | {"alembic_version"}
    for name, table in metadata.tables.items():
        # Partial unique indexes too (compare_metadata does not compare their WHERE).
        assert {index.name for index in table.indexes} <= schema["indexes"][name], name
    assert schema["diff"] == []
    if service in COUNTED:
        assert [tuple(row) for row in schema["counter"]] == [(1, 0)]
    expected = POSTGRES_FUNCTIONS.get(service, set()) if dialect == "postgres" else set()
    assert schema["functions"] == expected


@pytest.mark.parametrize("service", sorted(MIGRATED))
async def test_empty_database_to_head_matches_the_tables(service, db_kind, db_url):
    await upgrade_async(service, db_url)
    await upgrade_async(service, db_url)  # a second run is a no-op
    _assert_at_head(await _inspect(db_url, service), service, db_kind)


@pytest.mark.parametrize("service", sorted(MIGRATED))
async def test_down_to_nothing_and_up_again(service, db_kind, db_url):
    await upgrade_async(service, db_url)
    await _downgrade_to_base(service, db_url)
    empty = await _inspect(db_url, service)
    assert empty["tables"] == {"alembic_version"}  # every table and index dropped
    assert empty["version"] is None and empty["version_rows"] == 0
    assert empty["functions"] == set()
    await upgrade_async(service, db_url)
    _assert_at_head(await _inspect(db_url, service), service, db_kind)


async def test_concurrent_upgrades_of_one_sqlite_file_do_not_fail(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    await asyncio.gather(*(upgrade_async("dataset", url) for _ in range(3)))
    await asyncio.gather(*(upgrade_async("dataset", url) for _ in range(3)))
    # One schema, migrated once: one version row, one counter row, nothing missing.
    _assert_at_head(await _inspect(url, "dataset"), "dataset", "sqlite")
