"""PostgreSQL only: a label revision appended by one function call (migration 0002)."""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.labeling.domain.models import Label
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
