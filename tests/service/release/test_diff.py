"""DiffReleases: samples added and removed, labels changed per label set, with counts."""

from __future__ import annotations

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import USER, Suite, bbox, image_label
from tests.support.errors import expect_error


async def _diff(suite: Suite, base: str, target: str) -> tuple[list[pb.SampleChange],
                                                               pb.DiffSummary]:
    changes: list[pb.SampleChange] = []
    summary = None
    async for response in suite.release.DiffReleases(pb.DiffReleasesRequest(
            base_release_id=base, target_release_id=target)):
        assert summary is None, "the summary comes in the last message only"
        changes += response.changes
        if response.HasField("summary"):
            summary = response.summary
    assert summary is not None
    return changes, summary


async def test_diff_of_two_releases(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    samples = await suite.add_images(dataset, 1200)  # more than one message of changes
    for sample in samples[:3]:
        await suite.save(sample.id, image_label(bbox(1)))
    base = await suite.wait((await suite.create_release(dataset.id, "v1")).id)

    await suite.save(samples[0].id, image_label(bbox(1, x=5)))  # changed
    await suite.labeling.DeleteLabel(lpb.DeleteLabelRequest(sample_id=samples[1].id),
                                     metadata=USER)  # removed
    await suite.save(samples[3].id, image_label(bbox(1)))  # added
    await suite.save(samples[2].id, image_label(bbox(1)))  # saved again, same content
    await suite.dataset.DeleteSample(dpb.DeleteSampleRequest(sample_id=samples[4].id),
                                     metadata=USER)
    (new,) = await suite.add_images(dataset, 1, prefix="new")
    target = await suite.wait((await suite.create_release(dataset.id, "v2")).id)

    changes, summary = await _diff(suite, base.id, target.id)
    kinds = {(c.sample_id, c.kind, c.label_set) for c in changes}
    assert kinds == {
        (samples[0].id, pb.CHANGE_KIND_LABEL_CHANGED, "ground-truth"),
        (samples[1].id, pb.CHANGE_KIND_LABEL_REMOVED, "ground-truth"),
        (samples[3].id, pb.CHANGE_KIND_LABEL_ADDED, "ground-truth"),
        (samples[4].id, pb.CHANGE_KIND_SAMPLE_REMOVED, ""),
        (new.id, pb.CHANGE_KIND_SAMPLE_ADDED, ""),
    }
    assert [c.sample_id for c in changes] == sorted(c.sample_id for c in changes)
    assert summary.samples_added == 1 and summary.samples_removed == 1
    (counts,) = summary.label_sets
    assert (counts.label_set, counts.labels_added, counts.labels_removed,
            counts.labels_changed) == ("ground-truth", 1, 1, 1)

    same, empty = await _diff(suite, target.id, target.id)
    assert same == [] and empty.samples_added == 0


async def test_diff_needs_two_succeeded_releases_of_one_dataset(suite: Suite):
    first = await suite.create_dataset(name="a")
    other = await suite.create_dataset(name="b")
    a = await suite.wait((await suite.create_release(first.id, "v1")).id)
    b = await suite.wait((await suite.create_release(other.id, "v1")).id)
    await expect_error(_diff(suite, a.id, b.id), grpc.StatusCode.INVALID_ARGUMENT,
                       "target_release_id")
    await expect_error(_diff(suite, "", a.id), grpc.StatusCode.INVALID_ARGUMENT,
                       "base_release_id")
    await expect_error(_diff(suite, a.id, "nope"), grpc.StatusCode.NOT_FOUND)
