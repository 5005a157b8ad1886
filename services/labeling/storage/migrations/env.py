"""Alembic environment of the labeling service (shared body in shared.db.migrations)."""

from services.labeling.storage.tables import Base
from shared.db.migrations import run_env

run_env(Base.metadata)
