"""Tables of the labeling service.

`label_revisions` is a temporal table: every save or delete inserts a row valid from its
`revision` until the `superseded_revision` of the next one (NULL while current). A
partial unique index keeps one current row per (sample, label set), so two writers that
both think they create a label cannot both succeed. Reading "as of revision N" is one
range condition; the history is the rows themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.models import new_metadata
from shared.db.revisions import RevisionCounterMixin
from shared.db.types import JSONDocument, UTCDateTime


class Base(DeclarativeBase):
    metadata = new_metadata()


class RevisionCounter(RevisionCounterMixin, Base):
    pass


class LabelRow(Base):
    __tablename__ = "label_revisions"
    __table_args__ = (
        Index(
            "uq_label_revisions_current", "sample_id", "label_set", unique=True,
            sqlite_where=text("superseded_revision IS NULL"),
            postgresql_where=text("superseded_revision IS NULL"),
        ),
        # Keyset paging of a dataset's labels by sample id (ListLabels, StreamLabels).
        Index("ix_label_revisions_dataset_set_sample", "dataset_id", "label_set", "sample_id"),
    )

    sample_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label_set: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    superseded_revision: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    dataset_id: Mapped[str] = mapped_column(String(36), nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_track_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reviewed_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    review_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HoldRow(Base):
    """Who holds a sample in a label set; the primary key makes a claim race-safe."""

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_dataset_labeler", "dataset_id", "labeler"),)

    sample_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label_set: Mapped[str] = mapped_column(String(100), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(36), nullable=False)
    labeler: Mapped[str] = mapped_column(String(200), nullable=False)
    assign_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class TrackCounterRow(Base):
    """The next track id AllocateTrackIds may hand out for a sequence label."""

    __tablename__ = "track_counters"

    sample_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label_set: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_id: Mapped[int] = mapped_column(Integer, nullable=False)
