"""The S3 blob store against a real S3-protocol server (moto's, its own process)."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.release.storage.blob_stores import open_blob_store
from services.release.storage.blobs import DirectoryBlobStore
from services.release.storage.s3_blobs import MIN_PART, S3BlobStore, S3Options, parse_s3_url
from tests.support.s3 import S3Bucket

PART = MIN_PART


@pytest.fixture
def store(s3_bucket: S3Bucket) -> S3BlobStore:
    options = S3Options(**{**s3_bucket.options.__dict__, "part_size": PART})
    return S3BlobStore(s3_bucket.name, "releases/v1", options)


def _pending_uploads(store: S3BlobStore) -> list[dict]:
    return store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])


def _objects(store: S3BlobStore) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    return [o["Key"] for o in listed]


def test_a_small_file_goes_up_in_one_put_with_its_sha256(store: S3BlobStore):
    with store.writer("a.json") as writer:
        writer.write(b"hello ")
        writer.write(b"world")
    assert writer.info is not None
    assert writer.info.size == 11 == writer.size
    assert writer.info.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert store.size("a.json") == 11
    assert _objects(store) == ["releases/v1/a.json"]
    with store.open("a.json") as handle:
        assert handle.read() == b"hello world"


def test_a_large_file_goes_up_in_more_than_two_parts(store: S3BlobStore):
    data = os.urandom(2 * PART + 12345)
    with store.writer("big.json") as writer:
        for start in range(0, len(data), 300_000):  # writes not aligned to parts
            writer.write(data[start:start + 300_000])
        # Nothing visible before the commit: parts belong to a pending upload.
        assert store.size("big.json") is None
        assert len(_pending_uploads(store)) == 1
    assert writer.info is not None
    assert writer.info.sha256 == hashlib.sha256(data).hexdigest()
    head = store.client.head_object(Bucket=store.bucket, Key="releases/v1/big.json")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object of 3 parts
    assert _pending_uploads(store) == []
    with store.open("big.json") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == writer.info.sha256


@pytest.mark.parametrize("size", [100, 2 * PART + 1])
def test_an_exception_in_the_writer_leaves_no_object_and_no_pending_upload(
        store: S3BlobStore, size: int):
    with pytest.raises(RuntimeError), store.writer("broken.json") as writer:
        writer.write(os.urandom(size))
        raise RuntimeError("the build failed")
    assert writer.info is None
    assert store.size("broken.json") is None
    assert _objects(store) == []
    assert _pending_uploads(store) == []


def test_a_failed_rewrite_keeps_the_previous_object_whole(store: S3BlobStore):
    with store.writer("r.json") as writer:
        writer.write(b"first")
    with pytest.raises(RuntimeError), store.writer("r.json") as writer:
        writer.write(os.urandom(PART + 10))
        raise RuntimeError("died")
    with store.open("r.json") as handle:
        assert handle.read() == b"first"


def test_a_dead_writers_upload_is_aborted_at_startup(store: S3BlobStore):
    store.client.create_multipart_upload(Bucket=store.bucket, Key="releases/v1/dead.json")
    store.client.create_multipart_upload(Bucket=store.bucket, Key="elsewhere/other.json")
    # Uploads started within the horizon may be live builds of other replicas: kept.
    # (moto reports every upload as initiated in 2010, so the horizon here is 50 years.)
    assert store.remove_leftovers(older_than_s=50 * 365 * 86400) == 0
    assert store.remove_leftovers(older_than_s=0) == 1
    assert [u["Key"] for u in _pending_uploads(store)] == ["elsewhere/other.json"]


async def test_chunks_from_any_offset(store: S3BlobStore):
    data = os.urandom(PART + 5000)
    with store.writer("c.json") as writer:
        writer.write(data)
    for offset in (0, 1, 4096, PART, len(data) - 1):
        parts = [chunk async for chunk in store.chunks("c.json", offset, 64 * 1024)]
        assert all(len(p) <= 64 * 1024 for p in parts)
        assert b"".join(parts) == data[offset:]
    assert [c async for c in store.chunks("c.json", len(data), 1024)] == []


def test_open_is_seekable(store: S3BlobStore):
    data = bytes(range(256)) * 1000
    with store.writer("s.json") as writer:
        writer.write(data)
    with store.open("s.json") as handle:
        assert handle.seekable()
        handle.seek(1000)
        assert handle.read(10) == data[1000:1010]
        handle.seek(-5, os.SEEK_END)
        assert handle.read() == data[-5:]
        handle.seek(0)
        assert handle.readline() == data[:data.index(b"\n") + 1]
    with pytest.raises(FileNotFoundError), store.open("missing.json"):
        pass


def test_delete(store: S3BlobStore):
    with store.writer("d.json") as writer:
        writer.write(b"x")
    store.delete("d.json")
    assert store.size("d.json") is None
    store.delete("d.json")  # deleting what is gone is fine, as in the directory


def test_a_presigned_url_serves_the_bytes_to_plain_http(store: S3BlobStore):
    data = os.urandom(70_000)
    with store.writer("u.json") as writer:
        writer.write(data)
    before = datetime.now(UTC)
    url, expires = store.presigned_url("u.json", 600, filename="v1.json")
    assert 590 <= (expires - before).total_seconds() <= 601
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == data
        assert "v1.json" in response.headers["Content-Disposition"]
    with pytest.raises(ValueError):
        store.presigned_url("u.json", 8 * 24 * 3600)


def test_the_store_is_chosen_from_the_url(tmp_path: Path, s3_bucket: S3Bucket):
    assert isinstance(open_blob_store("", tmp_path / "a"), DirectoryBlobStore)
    chosen = open_blob_store(f"file://{tmp_path / 'b'}", tmp_path / "a")
    assert isinstance(chosen, DirectoryBlobStore) and chosen.root == tmp_path / "b"
    s3 = open_blob_store(s3_bucket.url("x/y/"), tmp_path, s3_bucket.options)
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix) == (s3_bucket.name, "x/y")
    with pytest.raises(ValueError, match="unsupported"):
        open_blob_store("gs://bucket/x", tmp_path)
    with pytest.raises(ValueError):
        parse_s3_url("s3:///no-bucket")


def test_the_directory_store_hands_out_no_url(tmp_path: Path):
    assert DirectoryBlobStore(tmp_path).presigned_url("x.json", 60) is None


async def test_an_empty_file(store: S3BlobStore):
    with store.writer("empty.jsonl") as writer:
        pass
    assert writer.info is not None and writer.info.size == 0
    assert store.size("empty.jsonl") == 0
    with store.open("empty.jsonl") as handle:
        assert handle.read() == b"" and list(handle) == []
    assert [c async for c in store.chunks("empty.jsonl", 0, 1024)] == []
