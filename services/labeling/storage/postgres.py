"""PostgreSQL only: the hot path of SaveLabel, on the driver's connection.

Reads are one prepared statement; appends go through `batching.AppendBatcher`, which
calls the functions of migrations 0002 and 0003.
"""

from __future__ import annotations

from typing import Any

from services.labeling.domain.models import Assignment, Label, LabelStatus

# Replace whatever is current (a save without an etag).
ANY_PREVIOUS = -1

# No ORM work here: SQLAlchemy's per-statement cost dominated a save's CPU.
_HEAD = """
SELECT l.revision, l.deleted, l.status, l.created_by, l.create_time, l.reviewed_by,
       l.review_time, l.dataset_id,
       (SELECT h.labeler FROM holds h WHERE h.sample_id = $1 AND h.label_set = $2) AS holder
FROM (SELECT 1) AS one
LEFT JOIN label_revisions l
  ON l.sample_id = $1 AND l.label_set = $2 AND l.superseded_revision IS NULL
"""


class LabelHeads:
    """Reads a label's current state and its hold (asyncpg connection)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def head(self, sample_id: str, label_set: str,
                   ) -> tuple[Label | None, Assignment | None]:
        """The current label (without its attributes) and the hold, in one round trip."""
        row = await self.connection.fetchrow(_HEAD, sample_id, label_set)
        hold = None if row["holder"] is None else Assignment(sample_id, label_set,
                                                             row["holder"])
        if row["revision"] is None:
            return None, hold
        label = Label(
            sample_id=sample_id, label_set=label_set, dataset_id=row["dataset_id"],
            status=LabelStatus(row["status"]), created_by=row["created_by"],
            create_time=row["create_time"], reviewed_by=row["reviewed_by"],
            review_time=row["review_time"], revision=row["revision"], deleted=row["deleted"],
        )
        return label, hold
