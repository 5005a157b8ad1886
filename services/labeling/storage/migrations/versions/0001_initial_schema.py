"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("sample_id", sa.String(length=36), nullable=False),
        sa.Column("label_set", sa.String(length=100), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("labeler", sa.String(length=200), nullable=False),
        sa.Column("assign_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sample_id", "label_set", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index("ix_holds_dataset_labeler", ["dataset_id", "labeler"], unique=False)

    op.create_table(
        "label_revisions",
        sa.Column("sample_id", sa.String(length=36), nullable=False),
        sa.Column("label_set", sa.String(length=100), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("superseded_revision", sa.BigInteger(), nullable=True),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_track_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        sa.Column("review_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "sample_id", "label_set", "revision", name=op.f("pk_label_revisions")
        ),
    )
    with op.batch_alter_table("label_revisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_label_revisions_dataset_set_sample",
            ["dataset_id", "label_set", "sample_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_label_revisions_current",
            ["sample_id", "label_set"],
            unique=True,
            sqlite_where=sa.text("superseded_revision IS NULL"),
            postgresql_where=sa.text("superseded_revision IS NULL"),
        )

    op.create_table(
        "revision_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_counter")),
    )
    op.execute("INSERT INTO revision_counter (id, value) VALUES (1, 0)")
    op.create_table(
        "track_counters",
        sa.Column("sample_id", sa.String(length=36), nullable=False),
        sa.Column("label_set", sa.String(length=100), nullable=False),
        sa.Column("next_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sample_id", "label_set", name=op.f("pk_track_counters")),
    )


def downgrade() -> None:
    op.drop_table("track_counters")
    op.drop_table("revision_counter")
    with op.batch_alter_table("label_revisions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_label_revisions_current",
            sqlite_where=sa.text("superseded_revision IS NULL"),
            postgresql_where=sa.text("superseded_revision IS NULL"),
        )
        batch_op.drop_index("ix_label_revisions_dataset_set_sample")

    op.drop_table("label_revisions")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_dataset_labeler")

    op.drop_table("holds")
