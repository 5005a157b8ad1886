"""Tables of the dataset service.

Samples are a temporal table: each change inserts a row valid from its `revision`
until the `superseded_revision` of the next change (NULL while current), so the
samples of a dataset can be listed exactly as they were at any revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.models import new_metadata
from shared.db.revisions import RevisionCounterMixin
from shared.db.types import JSONDocument, UTCDateTime


class Base(DeclarativeBase):
    metadata = new_metadata()


class RevisionCounter(RevisionCounterMixin, Base):
    pass


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    task_type: Mapped[str] = mapped_column(String(64), nullable=False)
    task_attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, nullable=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SampleRow(Base):
    __tablename__ = "samples"
    __table_args__ = (
        # Names are unique among a dataset's current samples.
        Index(
            "uq_samples_current_name", "dataset_id", "name", unique=True,
            sqlite_where=text("superseded_revision IS NULL"),
            postgresql_where=text("superseded_revision IS NULL"),
        ),
        Index("ix_samples_dataset_revision", "dataset_id", "revision"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    superseded_revision: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    dataset_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    assigned_labeler: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    assigned_reviewer: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    frame_count: Mapped[int] = mapped_column(Integer, nullable=False)


class LabelSetRow(Base):
    __tablename__ = "label_sets"

    dataset_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CollaboratorRow(Base):
    __tablename__ = "collaborators"

    dataset_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    user: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[int] = mapped_column(Integer, nullable=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RequestRow(Base):
    """Idempotency keys: a retried create returns what the first call created."""

    __tablename__ = "requests"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    resource_ids: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
