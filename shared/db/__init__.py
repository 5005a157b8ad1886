"""Database access shared by the services: engines, sessions, types, migrations."""

from shared.db.database import Database
from shared.db.types import JSONDocument, UTCDateTime

__all__ = ["Database", "JSONDocument", "UTCDateTime"]
