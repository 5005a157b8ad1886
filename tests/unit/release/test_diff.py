"""The manifest merge of DiffReleases."""

from __future__ import annotations

from services.release.domain.diff import ChangeKind, Summary, diff


def test_merge_of_two_sorted_manifests():
    base = [("a", "A", {"gt": "1"}), ("b", "B", {"gt": "1", "p": "x"}), ("c", "C", {})]
    target = [("b", "B2", {"gt": "2"}), ("c", "C", {"gt": "1"}), ("d", "D", {"p": "y"})]
    summary = Summary()
    changes = list(diff(iter(base), iter(target), ["gt", "p"], summary))
    assert [(c.sample_id, c.kind, c.label_set) for c in changes] == [
        ("a", ChangeKind.SAMPLE_REMOVED, ""),
        ("a", ChangeKind.LABEL_REMOVED, "gt"),
        ("b", ChangeKind.LABEL_CHANGED, "gt"),
        ("b", ChangeKind.LABEL_REMOVED, "p"),
        ("c", ChangeKind.LABEL_ADDED, "gt"),
        ("d", ChangeKind.SAMPLE_ADDED, ""),
        ("d", ChangeKind.LABEL_ADDED, "p"),
    ]
    assert changes[2].sample_name == "B2"
    assert (summary.samples_added, summary.samples_removed) == (1, 1)
    gt, p = summary.label_sets["gt"], summary.label_sets["p"]
    assert (gt.added, gt.removed, gt.changed) == (1, 1, 1)
    assert (p.added, p.removed, p.changed) == (1, 1, 0)


def test_identical_manifests_have_no_changes():
    rows = [("a", "A", {"gt": "1"})]
    summary = Summary()
    assert list(diff(iter(rows), iter(rows), ["gt"], summary)) == []
    assert summary.label_sets["gt"].changed == 0
