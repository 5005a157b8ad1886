"""Alembic environment of the release service (shared body in shared.db.migrations)."""

from services.release.storage.tables import Base
from shared.db.migrations import run_env

run_env(Base.metadata)
