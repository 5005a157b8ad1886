"""postgres: append many label revisions in one transaction (group commit)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

The revision counter's row lock is held until commit, so commits are serialised and each
waits for its own WAL flush. Appending the saves that arrive together in one call makes
them share one flush; each still gets its own revision, in order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Arrays of fw_append_label's arguments, one element per save; returns one revision per
# save (NULL where its compare-and-swap failed), in order.
FUNCTION = """
CREATE FUNCTION fw_append_labels(
    p_sample_id varchar[], p_label_set varchar[], p_previous bigint[], p_dataset_id varchar[],
    p_deleted boolean[], p_attributes jsonb[], p_status varchar[], p_score double precision[],
    p_max_track_id integer[], p_created_by varchar[], p_create_time timestamptz[],
    p_updated_by varchar[], p_update_time timestamptz[], p_reviewed_by varchar[],
    p_review_time timestamptz[]
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_result bigint[] := '{}';
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_sample_id, 1), 0) LOOP
        v_result := array_append(v_result, fw_append_label(
            p_sample_id[i], p_label_set[i], p_previous[i], p_dataset_id[i], p_deleted[i],
            p_attributes[i], p_status[i], p_score[i], p_max_track_id[i], p_created_by[i],
            p_create_time[i], p_updated_by[i], p_update_time[i], p_reviewed_by[i],
            p_review_time[i]));
    END LOOP;
    RETURN v_result;
END;
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION fw_append_labels")
