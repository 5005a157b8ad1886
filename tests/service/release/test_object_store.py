"""Release files in an object store: any replica serves them, and a client can fetch
them straight from the store with a pre-signed URL."""

from __future__ import annotations

import asyncio
import hashlib
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from framewise.release.v1 import release_pb2_grpc
from tests.service.release.helpers import (
    BlobPlace,
    Suite,
    bbox,
    image_label,
    start_release,
    suite_running,
)
from tests.support.errors import error_reason, expect_error
from tests.support.s3 import S3Bucket


def _url_request(release_id: str, seconds: int | None = None,
                 nanos: int = 0) -> pb.GetReleaseDownloadUrlRequest:
    request = pb.GetReleaseDownloadUrlRequest(release_id=release_id)
    if seconds is not None:
        request.expires_in.CopyFrom(duration_pb2.Duration(seconds=seconds, nanos=nanos))
    return request


async def _released(suite: Suite, samples: int = 5) -> pb.Release:
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    created = await suite.add_images(dataset, samples)
    await suite.save(created[0].id, image_label(bbox(1)))
    done = await suite.wait((await suite.create_release(dataset.id, "v 1")).id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    return done


async def test_a_download_url_serves_the_release_file(suite: Suite):
    done = await _released(suite)
    if suite.blobs.kind == "directory":
        error = await expect_error(suite.release.GetReleaseDownloadUrl(_url_request(done.id)),
                                   grpc.StatusCode.FAILED_PRECONDITION)
        assert error_reason(error) == "DOWNLOAD_URL_UNSUPPORTED"
        return
    before = datetime.now(UTC)
    answer = await suite.release.GetReleaseDownloadUrl(_url_request(done.id))
    lifetime = answer.expire_time.ToDatetime(UTC) - before
    assert 3590 <= lifetime.total_seconds() <= 3601  # unset: one hour
    assert (answer.size_bytes, answer.content_sha256) == (done.file_size_bytes,
                                                          done.content_sha256)
    data, disposition = await asyncio.to_thread(_fetch, answer.url)
    assert 'filename="v_1.json"' in disposition
    assert hashlib.sha256(data).hexdigest() == done.content_sha256
    assert data == await suite.download(done.id)
    short = await suite.release.GetReleaseDownloadUrl(_url_request(done.id, 59, 1))
    assert 59 <= (short.expire_time.ToDatetime(UTC) - before).total_seconds() <= 61


async def test_download_url_bad_input(suite: Suite):
    done = await _released(suite, samples=1)
    for seconds, nanos in ((0, 0), (-5, 0), (7 * 24 * 3600 + 1, 0)):
        await expect_error(suite.release.GetReleaseDownloadUrl(
            _url_request(done.id, seconds, nanos)), grpc.StatusCode.INVALID_ARGUMENT,
            "expires_in")
    await expect_error(suite.release.GetReleaseDownloadUrl(_url_request("")),
                       grpc.StatusCode.INVALID_ARGUMENT, "release_id")
    await expect_error(suite.release.GetReleaseDownloadUrl(_url_request(
        "00000000-0000-0000-0000-000000000000")), grpc.StatusCode.NOT_FOUND)


@pytest.mark.parametrize("shared_store", [True, False], ids=["s3", "directory-each"])
async def test_a_release_built_by_one_replica_is_served_by_another(
        db_url: str, tmp_path: Path, s3_bucket: S3Bucket, shared_store: bool):
    """Two release replicas on one database. With the object store, replica B serves
    what replica A built, whole (SHA-256). With a directory each (the measured failure
    of #14), B cannot: which shows B really has nothing of A's on its own disk."""
    place = BlobPlace("s3", s3_bucket.url("releases"), s3_bucket.options) if shared_store \
        else BlobPlace()
    async with suite_running(db_url, tmp_path / "a", blobs=place) as suite:
        (tmp_path / "b").mkdir()
        settings_b = replace(suite.settings, blob_dir=tmp_path / "b" / "blobs",
                             work_dir=tmp_path / "b")
        _, channel_b = await start_release(suite.release_config, settings_b, suite.stack)
        replica_b = release_pb2_grpc.ReleaseServiceStub(channel_b)
        done = await _released(suite, samples=40)
        seen = await replica_b.GetRelease(pb.GetReleaseRequest(release_id=done.id))
        assert seen.status == pb.RELEASE_STATUS_SUCCEEDED
        download = pb.DownloadReleaseRequest(release_id=done.id, chunk_size=1024)
        if not shared_store:
            error = await expect_error(_drain(replica_b.DownloadRelease(download)),
                                       grpc.StatusCode.FAILED_PRECONDITION)
            assert error_reason(error) == "RELEASE_FILE_MISSING"
            return
        chunks = [c async for c in replica_b.DownloadRelease(download)]
        data = b"".join(c.data for c in chunks)
        assert len(chunks) > 1 and len(data) == done.file_size_bytes
        assert hashlib.sha256(data).hexdigest() == done.content_sha256
        # Resuming at an offset, on B.
        middle = len(data) // 2
        rest = b"".join([c.data async for c in replica_b.DownloadRelease(
            pb.DownloadReleaseRequest(release_id=done.id, offset=middle))])
        assert rest == data[middle:]
        exported = {}
        async for piece in replica_b.ExportRelease(pb.ExportReleaseRequest(
                release_id=done.id, format=pb.EXPORT_FORMAT_COCO_INSTANCE)):
            exported[piece.path] = exported.get(piece.path, b"") + piece.data
        assert exported


def _fetch(url: str) -> tuple[bytes, str]:
    """A plain HTTP GET, no credentials: what a browser or curl does with the URL."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers["Content-Disposition"]


async def _drain(call) -> None:  # type: ignore[no-untyped-def]
    async for _ in call:
        pass
