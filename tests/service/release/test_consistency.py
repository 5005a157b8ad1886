"""A release holds exactly what existed when it was accepted, whatever happens while it
builds; an interrupted build is resumed or failed, never PENDING forever."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc

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


async def test_writers_during_the_build_do_not_leak_into_the_release(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    samples = await suite.add_images(dataset, 300)
    for sample in samples[:100]:
        await suite.save(sample.id, image_label(bbox(1, x=1)))
    expected_names = {s.name for s in samples}

    stop = asyncio.Event()

    async def relabel() -> int:
        n = 0
        while not stop.is_set():
            sample = samples[n % len(samples)]
            await suite.save(sample.id, image_label(bbox(1, x=999), bbox(2)))
            n += 1
        return n

    async def churn() -> int:
        n = 0
        while not stop.is_set():
            await suite.add_images(dataset, 5, prefix=f"late{n}-")
            await suite.dataset.DeleteSample(dpb.DeleteSampleRequest(
                sample_id=samples[200 + n % 100].id), metadata=USER)
            n += 1
        return n

    # A slow build (each page read late), so that the writers run while it reads.
    sources = suite.release_server_builder().sources
    samples_of, labels_of = sources.samples, sources.labels

    async def late(pages):
        async for page in pages:
            await asyncio.sleep(0.5)
            yield page

    sources.samples = lambda *a: late(samples_of(*a))
    sources.labels = lambda *a: late(labels_of(*a))
    writers = [asyncio.create_task(relabel()), asyncio.create_task(churn())]
    await asyncio.sleep(0.2)  # writers running before and while the release is accepted
    created = await suite.create_release(dataset.id, "v1")
    before = await suite.dataset.GetDataset(dpb.GetDatasetRequest(dataset_id=dataset.id),
                                          metadata=USER)
    done = await suite.wait(created.id)
    after = await suite.dataset.GetDataset(dpb.GetDatasetRequest(dataset_id=dataset.id),
                                          metadata=USER)
    stop.set()
    saves, churns = await asyncio.gather(*writers)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    assert saves > 0 and churns > 0
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
    async with suite_running(db_url, tmp_path, lease_s=0.5, blobs=blob_place) as suite:
        dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
        await suite.add_images(dataset, 3)
        release_id = await _pending_release(suite, dataset.id)
        # The lease is held by the (dead) builder; the sweep takes it over once expired.
        done = await suite.wait(release_id, timeout_s=20)
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
