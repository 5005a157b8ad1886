"""SQLite's batched append: the saves of one batch apply in order, like single commits."""

from __future__ import annotations

from datetime import UTC, datetime

from services.labeling.domain.models import Label
from services.labeling.storage.batching import ANY_PREVIOUS
from services.labeling.storage.sqlite import _Current, _plan

EARLIER = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _label(sample_id: str, by: str) -> Label:
    return Label(sample_id=sample_id, label_set="ground-truth", created_by=by, create_time=NOW,
                 updated_by=by, update_time=NOW)


def test_saves_of_one_label_in_a_batch_chain_and_a_stale_one_changes_nothing() -> None:
    current = {("b", "ground-truth"): _Current(4, False, "bob", EARLIER)}
    batch = [(_label("a", "ann"), ANY_PREVIOUS), (_label("a", "al"), ANY_PREVIOUS),
             (_label("b", "al"), 3), (_label("b", "al"), 4), (_label("b", "cy"), 11)]
    revisions, supersede, inserts = _plan(batch, 10, current)
    assert revisions == [10, 11, None, 13, None]
    # "a" was new: its first row is superseded by the second within the batch.
    assert [(r["sample_id"], r["revision"], r["superseded_revision"]) for r in inserts] == [
        ("a", 10, 11), ("a", 11, None), ("b", 13, None)]
    assert supersede == [{"key_sample_id": "b", "key_label_set": "ground-truth",
                          "old_revision": 4, "new_revision": 13}]
    # An overwrite keeps the creator of the label it replaced.
    assert inserts[1]["created_by"] == "ann" and inserts[1]["updated_by"] == "al"
    assert current[("b", "ground-truth")].revision == 13
