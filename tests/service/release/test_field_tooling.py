"""The release file loads in the public tooling of the field (segments-ai, offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import USER, Suite, bbox, image_label

segments = pytest.importorskip("segments", reason="segments-ai (dev extra) not installed")


async def test_segments_dataset_loads_an_image_release(suite: Suite, tmp_path: Path):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    await suite.dataset.CreateLabelSet(dpb.CreateLabelSetRequest(label_set=dpb.LabelSet(
        dataset_id=dataset.id, name="predictions")), metadata=USER)
    samples = await suite.add_images(dataset, 3)
    await suite.save(samples[0].id, image_label(bbox(1), bbox(2, x=40)))
    await suite.save(samples[1].id, image_label(bbox(1)), status=common_pb2.LABEL_STATUS_REVIEWED)
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    path = tmp_path / "release.json"
    path.write_bytes(await suite.download(done.id))

    loaded = segments.SegmentsDataset(str(path), labelset="ground-truth", preload=False,
                                      load_images=False, segments_dir=None)
    assert len(loaded) == 3
    assert [c.name for c in loaded.categories] == ["car", "person"]
    items = {item["name"]: item for item in (loaded[i] for i in range(len(loaded)))}
    assert len(items[samples[0].name]["annotations"]) == 2
    assert items[samples[0].name]["uuid"] == samples[0].id
    assert items[samples[2].name]["annotations"] is None  # unlabeled
    reviewed = segments.SegmentsDataset(str(path), filter_by=["REVIEWED"], preload=False,
                                        load_images=False, segments_dir=None)
    assert [s["name"] for s in reviewed.samples] == [samples[1].name]
    predictions = segments.SegmentsDataset(str(path), labelset="predictions", preload=False,
                                           load_images=False, segments_dir=None)
    assert len(predictions) == 3


async def test_segments_dataset_loads_a_sequence_release_with_every_frame(suite: Suite,
                                                                         tmp_path: Path):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    sample = await suite.add_sequence(dataset, "seq", frames=6)
    key = {"id": 1, "track_id": 1, "is_keyframe": True, "category_id": 2, "type": "bbox"}
    frames = [{"annotations": []} for _ in range(6)]
    frames[1]["annotations"] = [{**key, "points": [[0, 0], [10, 10]]}]
    frames[5]["annotations"] = [{**key, "points": [[40, 0], [50, 10]]}]
    await suite.save(sample.id, {"format_version": "0.2", "frames": frames})
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    path = tmp_path / "release.json"
    path.write_bytes(await suite.download(done.id))

    loaded = segments.SegmentsDataset(str(path), preload=False, load_images=False,
                                      segments_dir=None)
    (item,) = [loaded[i] for i in range(len(loaded))]
    written = item["labels"]["ground-truth"]["attributes"]["frames"]
    assert len(written) == 6
    assert [len(f["annotations"]) for f in written] == [0, 1, 1, 1, 1, 1]
    assert [f["annotations"][0]["points"][0][0] for f in written[1:]] == [0, 10, 20, 30, 40]
