"""Creating, reading, listing and deleting releases; the release file's content."""

from __future__ import annotations

import hashlib
import json

import grpc

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import USER, Suite, bbox, image_label
from tests.support.errors import expect_error


async def test_a_release_holds_the_samples_and_labels_of_every_label_set(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    samples = await suite.add_images(dataset, 5)
    from framewise.dataset.v1 import dataset_pb2 as dpb
    await suite.dataset.CreateLabelSet(dpb.CreateLabelSetRequest(label_set=dpb.LabelSet(
        dataset_id=dataset.id, name="model-a")), metadata=USER)
    await suite.save(samples[0].id, image_label(bbox(1), bbox(2, x=50)))
    await suite.save(samples[1].id, image_label(bbox(1)), label_set="model-a")

    created = await suite.create_release(dataset.id, "v1", description="first")
    assert created.status == pb.RELEASE_STATUS_PENDING
    assert created.dataset_revision > 0 and created.label_revision > 0
    done = await suite.wait(created.id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    assert done.sample_count == 5

    data = await suite.download(done.id)
    assert len(data) == done.file_size_bytes
    assert hashlib.sha256(data).hexdigest() == done.content_sha256
    document = json.loads(data)
    assert document["name"] == "v1"
    header = document["dataset"]
    assert header["name"] == "ds" and header["owner"] == "alice"
    assert header["task_type"] == "bboxes"
    assert [s["name"] for s in header["labelsets"]] == ["ground-truth", "model-a"]
    assert header["task_attributes"]["categories"][0]["color"] == [255, 0, 0]
    by_name = {s["name"]: s for s in header["samples"]}
    assert set(by_name) == {s.name for s in samples}
    first = by_name[samples[0].name]
    assert first["uuid"] == samples[0].id and first["metadata"] == {"i": 0}
    assert first["attributes"]["image"]["url"].endswith("img0.jpg")
    label = first["labels"]["ground-truth"]
    assert label["label_status"] == "LABELED"
    assert [a["points"] for a in label["attributes"]["annotations"]] == [
        [[1.0, 2.0], [11.0, 22.0]], [[50.0, 2.0], [60.0, 22.0]]]
    assert first["labels"]["model-a"] is None
    assert by_name[samples[1].name]["labels"]["model-a"]["label_status"] == "LABELED"
    assert by_name[samples[2].name]["labels"] == {"ground-truth": None, "model-a": None}


async def test_an_empty_dataset_releases_an_empty_file(suite: Suite):
    dataset = await suite.create_dataset()
    done = await suite.wait((await suite.create_release(dataset.id, "empty")).id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    assert done.sample_count == 0
    assert (await suite.release_json(done.id))["dataset"]["samples"] == []


async def test_request_id_makes_create_idempotent_and_names_are_unique(suite: Suite):
    dataset = await suite.create_dataset()
    first = await suite.create_release(dataset.id, "v1", request_id="abc")
    again = await suite.create_release(dataset.id, "v1", request_id="abc")
    assert again.id == first.id
    await expect_error(suite.create_release(dataset.id, "v1"), grpc.StatusCode.ALREADY_EXISTS)
    await suite.wait(first.id)


async def test_list_is_newest_first_and_pages(suite: Suite):
    dataset = await suite.create_dataset()
    ids = [(await suite.create_release(dataset.id, f"v{i}")).id for i in range(5)]
    seen, token = [], ""
    while True:
        page = await suite.release.ListReleases(pb.ListReleasesRequest(
            dataset_id=dataset.id, page_size=2, page_token=token))
        seen += [r.id for r in page.releases]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids[::-1]
    for release_id in ids:
        await suite.wait(release_id)


async def test_delete_removes_the_record_and_its_files(suite: Suite):
    dataset = await suite.create_dataset()
    await suite.add_images(dataset, 2)
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    files = suite.blobs.keys(suite.settings, done.id)
    assert len(files) == 2  # the release file and its manifest
    await suite.release.DeleteRelease(pb.DeleteReleaseRequest(release_id=done.id))
    assert not suite.blobs.keys(suite.settings, done.id)
    await expect_error(suite.release.GetRelease(pb.GetReleaseRequest(release_id=done.id)),
                       grpc.StatusCode.NOT_FOUND)
    await expect_error(suite.release.DeleteRelease(pb.DeleteReleaseRequest(release_id=done.id)),
                       grpc.StatusCode.NOT_FOUND)


async def test_download_resumes_from_an_offset_in_chunks(suite: Suite):
    dataset = await suite.create_dataset()
    await suite.add_images(dataset, 50)
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    whole = await suite.download(done.id)
    offsets = []
    async for chunk in suite.release.DownloadRelease(pb.DownloadReleaseRequest(
            release_id=done.id, offset=100, chunk_size=1024)):
        assert len(chunk.data) <= 1024 and chunk.total_size == len(whole)
        offsets.append(chunk.offset)
    assert offsets[0] == 100 and offsets[1] == 1124
    assert await suite.download(done.id, offset=100, chunk_size=1024) == whole[100:]
    assert await suite.download(done.id, offset=len(whole)) == b""


async def test_the_service_answers_health_checks_by_its_name(suite: Suite):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from services.release.app import FULL_NAME

    assert suite.release_server is not None
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{suite.release_server.port}")
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=FULL_NAME))
    finally:
        await channel.close()
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
