"""postgres: append a label revision in one statement

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

On PostgreSQL a save's serialised part (take the next revision, supersede the current
row, insert the new one) runs as one function call in its own transaction, so the
revision counter's row lock is held for microseconds inside the server instead of
across several client round trips. SQLite takes its write lock at BEGIN IMMEDIATE and
does not need it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# p_previous: the revision the caller read and means to replace (compare-and-swap), or
# -1 to replace whatever is current, if anything (a save without an etag). Returns the
# new revision, or NULL when p_previous is no longer current (nothing is written; the
# revision taken is skipped, which only leaves a gap). Each statement of a plpgsql
# function sees a fresh snapshot under READ COMMITTED, so everything after the counter
# update sees every write committed before this one took the lock.
FUNCTION = """
CREATE FUNCTION fw_append_label(
    p_sample_id varchar, p_label_set varchar, p_previous bigint, p_dataset_id varchar,
    p_deleted boolean, p_attributes jsonb, p_status varchar, p_score double precision,
    p_max_track_id integer, p_created_by varchar, p_create_time timestamptz,
    p_updated_by varchar, p_update_time timestamptz, p_reviewed_by varchar,
    p_review_time timestamptz
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_revision bigint;
    v_old label_revisions%ROWTYPE;
BEGIN
    UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO v_revision;
    UPDATE label_revisions SET superseded_revision = v_revision
        WHERE sample_id = p_sample_id AND label_set = p_label_set
          AND superseded_revision IS NULL AND (p_previous = -1 OR revision = p_previous)
        RETURNING * INTO v_old;
    IF NOT FOUND AND p_previous <> -1 THEN
        RETURN NULL;
    END IF;
    IF FOUND AND p_previous = -1 AND NOT v_old.deleted THEN
        -- An overwrite keeps who created the label, whatever the caller read before.
        p_created_by := v_old.created_by;
        p_create_time := v_old.create_time;
    END IF;
    INSERT INTO label_revisions (
        sample_id, label_set, revision, superseded_revision, dataset_id, deleted,
        attributes, status, score, max_track_id, created_by, create_time, updated_by,
        update_time, reviewed_by, review_time
    ) VALUES (
        p_sample_id, p_label_set, v_revision, NULL, p_dataset_id, p_deleted,
        p_attributes, p_status, p_score, p_max_track_id, p_created_by, p_create_time,
        p_updated_by, p_update_time, p_reviewed_by, p_review_time
    );
    RETURN v_revision;
END;
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION fw_append_label")
