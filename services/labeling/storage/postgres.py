"""PostgreSQL only: a label revision appended by one function call (migration 0002)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.labeling.domain.models import Assignment, Label, LabelStatus
from services.labeling.storage import codec
from shared.db.types import UTCDateTime

# Replace whatever is current (a save without an etag).
ANY_PREVIOUS = -1

_APPEND = text(
    "SELECT fw_append_label(:sample_id, :label_set, :previous, :dataset_id, :deleted, "
    ":attributes, :status, :score, :max_track_id, :created_by, :create_time, :updated_by, "
    ":update_time, :reviewed_by, :review_time)"
).bindparams(
    bindparam("attributes", type_=JSONB),
    bindparam("create_time", type_=UTCDateTime),
    bindparam("update_time", type_=UTCDateTime),
    bindparam("review_time", type_=UTCDateTime),
)


async def append_label(session: AsyncSession, label: Label, previous: int) -> int | None:
    """The new revision, or None when `previous` is no longer the current revision."""
    values = codec.label_to_row_values(label)
    del values["revision"], values["superseded_revision"]
    result = await session.execute(_APPEND, {**values, "previous": previous})
    revision = result.scalar_one()
    return None if revision is None else int(revision)


# The hot path of SaveLabel on PostgreSQL, on the driver's connection: two prepared
# statements per save and no ORM work (SQLAlchemy's per-statement cost dominated).
_HEAD = """
SELECT l.revision, l.deleted, l.status, l.created_by, l.create_time, l.reviewed_by,
       l.review_time, l.dataset_id,
       (SELECT h.labeler FROM holds h WHERE h.sample_id = $1 AND h.label_set = $2) AS holder
FROM (SELECT 1) AS one
LEFT JOIN label_revisions l
  ON l.sample_id = $1 AND l.label_set = $2 AND l.superseded_revision IS NULL
"""
_APPEND_RAW = ("SELECT fw_append_label($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
               "$13, $14, $15)")


class LabelHeads:
    """Reads a label's current state and appends the next one (asyncpg connection)."""

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

    async def append(self, label: Label, previous: int) -> int | None:
        """The new revision, or None when `previous` is no longer current."""
        revision = await self.connection.fetchval(
            _APPEND_RAW, label.sample_id, label.label_set, previous, label.dataset_id,
            label.deleted, json.dumps(label.attributes, separators=(",", ":")),
            label.status.value, label.score, label.max_track_id, label.created_by,
            label.create_time, label.updated_by, label.update_time, label.reviewed_by,
            label.review_time,
        )
        return None if revision is None else int(revision)
