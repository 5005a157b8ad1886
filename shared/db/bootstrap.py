"""A service's database, opened the same way by every service: the data directory for
SQLite, the migrations (when `FRAMEWISE_AUTO_MIGRATE` is on), then the engines."""

from __future__ import annotations

from shared.config import ServiceConfig
from shared.db.database import Database
from shared.db.dialects import is_sqlite
from shared.db.migrations import upgrade, upgrade_async


def prepare(config: ServiceConfig) -> None:
    """Creates the data directory the embedded SQLite files live in."""
    if is_sqlite(config.database_url):
        config.data_dir.mkdir(parents=True, exist_ok=True)


def migrate(service: str, config: ServiceConfig) -> None:
    """`framewise-<service> migrate`: the schema to the latest revision (blocking)."""
    prepare(config)
    upgrade(service, config.database_url)


async def open_database(service: str, config: ServiceConfig) -> Database:
    """The service's `Database`, migrated first unless auto-migration is off."""
    prepare(config)
    if config.auto_migrate:
        await upgrade_async(service, config.database_url)
    return Database(config.database_url)
