"""The save path's store, chosen once for the database in use (the only dialect choice
the labeling service makes outside its migrations)."""

from __future__ import annotations

from services.labeling.storage.batching import LabelHeads
from services.labeling.storage.gate import GatedDatabase
from services.labeling.storage.postgres import PostgresHeads
from services.labeling.storage.sqlite import SqliteHeads


def label_heads(db: GatedDatabase) -> LabelHeads:
    """Heads read and appends batched (storage.batching) on SQLite or PostgreSQL."""
    return LabelHeads(SqliteHeads(db) if db.is_sqlite else PostgresHeads(db))
