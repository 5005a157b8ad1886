"""Tables of the release service: one row per release (its files are in the blob store)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.models import new_metadata
from shared.db.types import JSONDocument, UTCDateTime


class Base(DeclarativeBase):
    metadata = new_metadata()


class ReleaseRow(Base):
    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("dataset_id", "name"),
        UniqueConstraint("request_key"),
        Index("ix_releases_dataset_created", "dataset_id", "create_time", "id"),
        Index("ix_releases_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    failure_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    sample_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    file_size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    dataset_revision: Mapped[int] = mapped_column(BigInteger, nullable=False)
    label_revision: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    complete_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The dataset header pinned at accept time (domain.models.Snapshot.dataset).
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    # "CreateRelease/<caller>/<request_id>" of an idempotent create.
    request_key: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # Builds started; a build interrupted too often fails instead of looping.
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # A PENDING release is built by whoever holds an unexpired lease (one replica).
    lease_owner: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
