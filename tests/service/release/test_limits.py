"""The release service's limits: a request just at each limit is served, one just over is
INVALID_ARGUMENT naming the field and the limit."""

from __future__ import annotations

import grpc

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from shared import limits as L
from tests.service.release.helpers import USER, Suite
from tests.support.errors import expect_error, expect_limit


async def _chunks(call) -> list[pb.DownloadReleaseResponse]:
    return [chunk async for chunk in call]


async def test_releases_at_and_over_their_limits(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    await suite.add_images(dataset, 3)
    create = suite.release.CreateRelease

    def request(name: str = "v", description: str = "", request_id: str = "",
                ) -> pb.CreateReleaseRequest:
        return pb.CreateReleaseRequest(release=pb.Release(
            dataset_id=dataset.id, name=name, description=description), request_id=request_id)

    release = await create(request("n" * L.MAX_NAME_LENGTH, "d" * L.MAX_DESCRIPTION_LENGTH,
                                   "r" * L.MAX_REQUEST_ID_LENGTH), metadata=USER)
    await expect_limit(create(request("n" * (L.MAX_NAME_LENGTH + 1)), metadata=USER),
                       "release.name", L.MAX_NAME_LENGTH)
    await expect_limit(create(request(description="d" * (L.MAX_DESCRIPTION_LENGTH + 1)),
                              metadata=USER), "release.description", L.MAX_DESCRIPTION_LENGTH)
    await expect_limit(create(request(request_id="r" * (L.MAX_REQUEST_ID_LENGTH + 1)),
                              metadata=USER), "request_id", L.MAX_REQUEST_ID_LENGTH)

    # ids: at the limit looked up, over it refused
    await expect_error(suite.release.GetRelease(pb.GetReleaseRequest(
        release_id="x" * L.MAX_ID_LENGTH)), grpc.StatusCode.NOT_FOUND)
    await expect_limit(suite.release.GetRelease(pb.GetReleaseRequest(
        release_id="x" * (L.MAX_ID_LENGTH + 1))), "release_id", L.MAX_ID_LENGTH)

    # pages and download chunks
    listed = await suite.release.ListReleases(pb.ListReleasesRequest(
        dataset_id=dataset.id, page_size=L.MAX_PAGE_SIZE))
    assert [r.id for r in listed.releases] == [release.id]
    await expect_limit(suite.release.ListReleases(pb.ListReleasesRequest(
        dataset_id=dataset.id, page_size=L.MAX_PAGE_SIZE + 1)), "page_size", L.MAX_PAGE_SIZE)
    done = await suite.wait(release.id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED
    for size in (L.MIN_CHUNK_BYTES, L.MAX_CHUNK_BYTES):
        chunks = await _chunks(suite.release.DownloadRelease(pb.DownloadReleaseRequest(
            release_id=release.id, chunk_size=size)))
        assert b"".join(c.data for c in chunks) == await suite.download(release.id)
        assert all(len(c.data) <= size for c in chunks)
    await expect_limit(_chunks(suite.release.DownloadRelease(pb.DownloadReleaseRequest(
        release_id=release.id, chunk_size=L.MAX_CHUNK_BYTES + 1))), "chunk_size",
        L.MAX_CHUNK_BYTES)
    error = await expect_error(_chunks(suite.release.DownloadRelease(pb.DownloadReleaseRequest(
        release_id=release.id, chunk_size=L.MIN_CHUNK_BYTES - 1))),
        grpc.StatusCode.INVALID_ARGUMENT, "chunk_size")
    assert f"at least {L.MIN_CHUNK_BYTES}" in (error.details() or "")
