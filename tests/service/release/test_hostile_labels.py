"""A label stored before today's checks (issue #12) never fails a whole release: it is
left out (written as null) and listed, with its reason, in the release file's header.

The suite's labeling service runs on SQLite, the one database that can hold such a
document (tests/service/labeling/test_hostile.py); the release service runs on both.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import Suite, bbox, image_label

POISONED = '{"format_version":"0.1","annotations":[],"\\ud800":NaN}'


def _poison(tmp_path: Path, sample_id: str) -> None:
    """Replaces the stored document of a sample's labels by SQL (the API refuses it)."""
    with sqlite3.connect(tmp_path / "labeling.db") as db:
        changed = db.execute("UPDATE label_revisions SET attributes = ? WHERE sample_id = ?",
                             (POISONED, sample_id)).rowcount
    assert changed == 1


async def test_release_leaves_out_an_unreadable_label_and_lists_it(suite: Suite,
                                                                   tmp_path: Path) -> None:
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    good, bad = await suite.add_images(dataset, 2)
    await suite.save(good.id, image_label(bbox(1)))
    poisoned = await suite.save(bad.id, image_label(bbox(1)))
    _poison(tmp_path, bad.id)

    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    assert done.sample_count == 2
    document = json.loads(await suite.download(done.id))
    labels = {s["uuid"]: s["labels"]["ground-truth"] for s in document["dataset"]["samples"]}
    assert labels[good.id]["attributes"] == image_label(bbox(1))
    assert labels[bad.id] is None
    assert document["skipped_label_count"] == 1
    (skipped,) = document["skipped_labels"]
    assert (skipped["sample_uuid"], skipped["label_set"], skipped["revision"]) == (
        bad.id, "ground-truth", poisoned.revision)
    assert skipped["reason"].startswith("attributes_json.\\ud800: ")

    # A release of readable labels carries no such fields.
    await suite.save(bad.id, image_label(bbox(2)))
    clean = await suite.wait((await suite.create_release(dataset.id, "v2")).id)
    assert clean.status == pb.RELEASE_STATUS_SUCCEEDED, clean.failure_reason
    assert "skipped_labels" not in json.loads(await suite.download(clean.id))
