"""A release holds exactly what existed when it was accepted, whatever happens while it
builds; an interrupted build is resumed or failed, never PENDING forever."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from pathlib import Path

import grpc
import pytest

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.release.v1 import release_pb2 as pb
from services.release.storage.repository import ReleaseRepository
from shared.db import Database
from tests.service.release.helpers import (
    USER,
    BlobPlace,
    Suite,
    bbox,
    image_label,
    suite_running,
)
from tests.support.clock import FakeClock
from tests.support.waiting import wait_until_async


# 5-10 s per database and store: left to `make test`, out of `make test-fast`.
@pytest.mark.slow
async def test_writers_during_the_build_do_not_leak_into_the_release(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    samples = await suite.add_images(dataset, 300)
    for sample in samples[:100]:
        await suite.save(sample.id, image_label(bbox(1, x=1)))
    expected_names = {s.name for s in samples}

    stop = asyncio.Event()
    written = {"saves": 0, "churns": 0}

    async def relabel() -> None:
        while not stop.is_set():
            sample = samples[written["saves"] % 200]  # never one that churn deletes
            await suite.save(sample.id, image_label(bbox(1, x=999), bbox(2)))
            written["saves"] += 1

    async def churn() -> None:
        while not stop.is_set():
            n = written["churns"]
            await suite.add_images(dataset, 5, prefix=f"late{n}-")
            await suite.dataset.DeleteSample(dpb.DeleteSampleRequest(
                sample_id=samples[200 + n % 100].id), metadata=USER)
            written["churns"] += 1

    writers = [asyncio.create_task(relabel()), asyncio.create_task(churn())]

    async def writes(saves: int, churns: int, what: str) -> None:
        def done() -> bool:
            for writer in writers:
                if writer.done():
                    writer.result()  # a writer that failed fails the test with its error
                    raise AssertionError("a writer stopped early")
            return written["saves"] >= saves and written["churns"] >= churns

        await wait_until_async(done, what)

    # The build reads each page only once the writers have saved and churned again since
    # it asked for it (and after `before` below is read): they write while it reads,
    # however fast or slow either side runs.
    peers = suite.release_server_builder().peers
    samples_of, labels_of = peers.dataset.samples, peers.labeling.labels
    before_read = asyncio.Event()

    async def late(pages):
        async for page in pages:
            await before_read.wait()
            await writes(written["saves"] + 1, written["churns"] + 1,
                         "the writers wrote while the build reads")
            yield page

    peers.dataset.samples = lambda *a: late(samples_of(*a))
    peers.labeling.labels = lambda *a: late(labels_of(*a))
    await writes(3, 1, "the writers ran before the release is accepted")
    created = await suite.create_release(dataset.id, "v1")
    before = await suite.dataset.GetDataset(dpb.GetDatasetRequest(dataset_id=dataset.id),
                                          metadata=USER)
    before_read.set()
    done = await suite.wait(created.id)
    after = await suite.dataset.GetDataset(dpb.GetDatasetRequest(dataset_id=dataset.id),
                                          metadata=USER)
    stop.set()
    await asyncio.gather(*writers)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    assert written["saves"] > 3 and written["churns"] > 1
    assert after.revision > before.revision >= done.dataset_revision  # churn during the build

    document = await suite.release_json(done.id)
    written = {s["name"]: s for s in document["dataset"]["samples"]}
    # Exactly the samples as of the dataset revision, each with its label as of the label
    # revision: compare with what the services say about those revisions.
    listed: dict[str, str] = {}
    token = ""
    while True:
        page = await suite.dataset.ListSamples(dpb.ListSamplesRequest(
            dataset_id=dataset.id, as_of_revision=done.dataset_revision, page_size=1000,
            page_token=token), metadata=USER)
        listed.update({s.name: s.id for s in page.samples})
        token = page.next_page_token
        if not token:
            break
    assert set(written) == set(listed)
    assert done.sample_count == len(listed)
    assert set(written) <= expected_names | {n for n in written if n.startswith("late")}
    relabeled = 0
    for name, sample_id in listed.items():
        got = written[name]["labels"]["ground-truth"]
        try:
            label = await suite.labeling.GetLabel(lpb.GetLabelRequest(
                sample_id=sample_id, revision=done.label_revision), metadata=USER)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            assert got is None, name
            continue
        assert got is not None, name
        assert got["attributes"] == json.loads(label.attributes_json), name
        relabeled += got["attributes"]["annotations"][0]["points"][0][0] == 999
    # Some saves came after the accept: what they wrote is not in the release.
    assert relabeled < len(listed)


async def _pending_release(suite: Suite, dataset_id: str) -> str:
    """A release accepted but whose builder died at once (as if the process was killed)."""
    builder = suite.release_server_builder()
    original = builder.start
    builder.start = lambda release: None  # accept, but never build
    try:
        created = await suite.create_release(dataset_id, "interrupted")
    finally:
        builder.start = original
    return created.id


async def test_a_build_interrupted_by_a_stop_resumes_on_the_next_start(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    samples = await suite.add_images(dataset, 20)
    await suite.save(samples[0].id, image_label(bbox(1)))
    release_id = await _pending_release(suite, dataset.id)
    await suite.save(samples[0].id, image_label(bbox(1, x=300)))  # after the accept
    await suite.restart_release()  # graceful: leases given up, the new process resumes
    done = await suite.wait(release_id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    written = (await suite.release_json(release_id))["dataset"]["samples"]
    first = next(s for s in written if s["uuid"] == samples[0].id)
    assert first["labels"]["ground-truth"]["attributes"]["annotations"][0]["points"][0] == [
        1.0, 2.0]
    assert not suite.blobs.partial(suite.settings)


async def test_a_killed_builder_is_taken_over_when_its_lease_expires(
        db_url: str, tmp_path: Path, blob_place: BlobPlace):
    async with suite_running(db_url, tmp_path, lease_s=60, blobs=blob_place) as suite:
        dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
        await suite.add_images(dataset, 3)
        release_id = await _pending_release(suite, dataset.id)
        # The lease is held by the (dead) builder: the sweep leaves it while it runs, and
        # takes the release over once it expired. Time moves on the builder's clock (the
        # sweep itself runs every lease period; here it is called).
        builder = suite.release_server_builder()
        pending = await suite.release.GetRelease(pb.GetReleaseRequest(release_id=release_id))
        # From the accept: its lease runs until a little after create_time + 60 s.
        clock = FakeClock(start=pending.create_time.ToDatetime(tzinfo=UTC))
        builder.clock = clock
        clock.advance(59)
        assert await builder.recover() == 0
        assert (await suite.release.GetRelease(pb.GetReleaseRequest(
            release_id=release_id))).status == pb.RELEASE_STATUS_PENDING
        clock.advance(60)
        assert await builder.recover() == 1
        done = await suite.wait(release_id)
        assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason


async def test_a_release_interrupted_too_often_fails_instead_of_looping(
        db_url: str, tmp_path: Path, blob_place: BlobPlace):
    async with suite_running(db_url, tmp_path, max_attempts=1, blobs=blob_place) as suite:
        dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
        release_id = await _pending_release(suite, dataset.id)
        await suite.restart_release()
        done = await suite.wait(release_id)
        assert done.status == pb.RELEASE_STATUS_FAILED
        assert "interrupted" in done.failure_reason
        db = Database(suite.release_config.database_url)
        try:
            async with db.read() as session:
                row = await ReleaseRepository(session).get(release_id)
        finally:
            await db.dispose()
        assert row is not None and row.status.value == "failed"


async def test_a_sequence_deleted_and_relabeled_after_the_accept_is_released_as_it_was(
        suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    sample = await suite.add_sequence(dataset, "seq", frames=5)
    key = {"id": 1, "track_id": 1, "is_keyframe": True, "category_id": 1, "type": "bbox"}
    frames = [{"annotations": []} for _ in range(5)]
    frames[0]["annotations"] = [{**key, "points": [[0, 0], [10, 10]]}]
    frames[4]["annotations"] = [{**key, "points": [[40, 0], [50, 10]]}]
    await suite.save(sample.id, {"format_version": "0.2", "frames": frames})
    release_id = await _pending_release(suite, dataset.id)
    # After the accept, before the build: relabeled, then the sample deleted.
    frames[4]["annotations"] = [{**key, "points": [[400, 0], [410, 10]]}]
    await suite.save(sample.id, {"format_version": "0.2", "frames": frames})
    await suite.dataset.DeleteSample(dpb.DeleteSampleRequest(sample_id=sample.id),
                                     metadata=USER)
    await suite.restart_release()
    done = await suite.wait(release_id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    (written,) = (await suite.release_json(release_id))["dataset"]["samples"]
    states = written["labels"]["ground-truth"]["attributes"]["frames"]
    assert [f["annotations"][0]["points"][0][0] for f in states] == [0, 10, 20, 30, 40]
