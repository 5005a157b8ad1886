"""Alembic environment of the dataset service (shared body in shared.db.migrations)."""

from services.dataset.storage.tables import Base
from shared.db.migrations import run_env

run_env(Base.metadata)
