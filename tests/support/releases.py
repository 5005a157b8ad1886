"""Releases as a client sees them: create, wait for the build, download and check the file."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

import grpc

from framewise.release.v1 import release_pb2 as rpb
from framewise.release.v1 import release_pb2_grpc
from tests.support.labelers import CALL_DEADLINE_S, OWNER


async def create(channel: grpc.aio.Channel, dataset_id: str, name: str) -> rpb.Release:
    return await release_pb2_grpc.ReleaseServiceStub(channel).CreateRelease(
        rpb.CreateReleaseRequest(release=rpb.Release(dataset_id=dataset_id, name=name),
                                 request_id=f"{dataset_id}/{name}"),
        metadata=OWNER, timeout=CALL_DEADLINE_S)


async def get(channel: grpc.aio.Channel, release_id: str) -> rpb.Release:
    return await release_pb2_grpc.ReleaseServiceStub(channel).GetRelease(
        rpb.GetReleaseRequest(release_id=release_id), metadata=OWNER, timeout=CALL_DEADLINE_S)


async def wait_done(channel: grpc.aio.Channel, release_id: str,
                    timeout_s: float = 120.0) -> rpb.Release:
    """The release once it is no longer PENDING (fails the test after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        release = await get(channel, release_id)
        if release.status != rpb.RELEASE_STATUS_PENDING:
            return release
        assert time.monotonic() < deadline, f"release {release_id} PENDING after {timeout_s}s"
        await asyncio.sleep(0.1)


async def download(channel: grpc.aio.Channel, release_id: str) -> bytes:
    stub = release_pb2_grpc.ReleaseServiceStub(channel)
    parts = [chunk.data async for chunk in stub.DownloadRelease(
        rpb.DownloadReleaseRequest(release_id=release_id), metadata=OWNER,
        timeout=CALL_DEADLINE_S)]
    return b"".join(parts)


async def complete_file(channel: grpc.aio.Channel, release: rpb.Release) -> dict[str, Any]:
    """Downloads a SUCCEEDED release's file, checks it is whole (its size and SHA-256 are
    the release's, it parses, it has every sample) and returns it parsed."""
    assert release.status == rpb.RELEASE_STATUS_SUCCEEDED, release.failure_reason
    data = await download(channel, release.id)
    assert len(data) == release.file_size_bytes
    assert hashlib.sha256(data).hexdigest() == release.content_sha256
    document = json.loads(data)
    assert len(document["dataset"]["samples"]) == release.sample_count
    return document
