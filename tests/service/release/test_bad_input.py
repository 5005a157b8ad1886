"""Bad input for every RPC: a clear error naming the field, nothing created."""

from __future__ import annotations

import grpc

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import USER, Suite
from tests.support.errors import expect_error

BAD = grpc.StatusCode.INVALID_ARGUMENT


async def _drain(call) -> None:
    async for _ in call:
        pass


async def test_create_release(suite: Suite):
    dataset = await suite.create_dataset()
    cases = [
        (pb.Release(name="v1"), "", "release.dataset_id"),
        (pb.Release(dataset_id=dataset.id), "", "release.name"),
        (pb.Release(dataset_id=dataset.id, name="x" * 101), "", "release.name"),
        (pb.Release(dataset_id=dataset.id, name="a\nb"), "", "release.name"),
        (pb.Release(dataset_id=dataset.id, name="v1", description="d" * 10_001), "",
         "release.description"),
        (pb.Release(dataset_id=dataset.id, name="v1"), "r" * 101, "request_id"),
    ]
    for release, request_id, field in cases:
        await expect_error(suite.release.CreateRelease(
            pb.CreateReleaseRequest(release=release, request_id=request_id), metadata=USER),
            BAD, field)
    await expect_error(suite.create_release("00000000-0000-0000-0000-000000000000", "v1"),
                       grpc.StatusCode.NOT_FOUND)
    listed = await suite.release.ListReleases(pb.ListReleasesRequest(dataset_id=dataset.id))
    assert list(listed.releases) == []


async def test_get_list_delete(suite: Suite):
    await expect_error(suite.release.GetRelease(pb.GetReleaseRequest()), BAD, "release_id")
    await expect_error(suite.release.GetRelease(pb.GetReleaseRequest(release_id="nope")),
                       grpc.StatusCode.NOT_FOUND)
    await expect_error(suite.release.DeleteRelease(pb.DeleteReleaseRequest()), BAD,
                       "release_id")
    await expect_error(suite.release.ListReleases(pb.ListReleasesRequest()), BAD, "dataset_id")
    for request, field in [
        (pb.ListReleasesRequest(dataset_id="d", page_size=-1), "page_size"),
        (pb.ListReleasesRequest(dataset_id="d", page_size=1001), "page_size"),
        (pb.ListReleasesRequest(dataset_id="d", page_token="garbage!"), "page_token"),
    ]:
        await expect_error(suite.release.ListReleases(request), BAD, field)


async def test_download_and_export(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    size = done.file_size_bytes
    for request, field in [
        (pb.DownloadReleaseRequest(), "release_id"),
        (pb.DownloadReleaseRequest(release_id=done.id, offset=-1), "offset"),
        (pb.DownloadReleaseRequest(release_id=done.id, offset=size + 1), "offset"),
        (pb.DownloadReleaseRequest(release_id=done.id, chunk_size=10), "chunk_size"),
        (pb.DownloadReleaseRequest(release_id=done.id, chunk_size=5 * 1024 * 1024),
         "chunk_size"),
    ]:
        await expect_error(_drain(suite.release.DownloadRelease(request)), BAD, field)
    await expect_error(_drain(suite.release.DownloadRelease(
        pb.DownloadReleaseRequest(release_id="nope"))), grpc.StatusCode.NOT_FOUND)
    for request, field in [
        (pb.ExportReleaseRequest(format=pb.EXPORT_FORMAT_YOLO), "release_id"),
        (pb.ExportReleaseRequest(release_id=done.id), "format"),
        (pb.ExportReleaseRequest(release_id=done.id, format=99), "format"),
        (pb.ExportReleaseRequest(release_id=done.id, format=pb.EXPORT_FORMAT_YOLO,
                                 label_set="nope"), "label_set"),
    ]:
        await expect_error(_drain(suite.release.ExportRelease(request)), BAD, field)


async def test_files_of_a_pending_or_failed_release_are_a_failed_precondition(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    builder = suite.release_server_builder()
    original = builder.start
    builder.start = lambda release: None  # stays PENDING
    try:
        pending = await suite.create_release(dataset.id, "pending")
    finally:
        builder.start = original
    error = await expect_error(_drain(suite.release.DownloadRelease(
        pb.DownloadReleaseRequest(release_id=pending.id))), grpc.StatusCode.FAILED_PRECONDITION)
    assert "PENDING" in error.details()
    await expect_error(_drain(suite.release.ExportRelease(pb.ExportReleaseRequest(
        release_id=pending.id, format=pb.EXPORT_FORMAT_RELEASE_JSON))),
        grpc.StatusCode.FAILED_PRECONDITION)
    # Deleting a PENDING release is allowed: nothing of it stays.
    await suite.release.DeleteRelease(pb.DeleteReleaseRequest(release_id=pending.id))


async def test_a_build_that_cannot_read_its_dataset_fails_with_the_reason(suite: Suite):
    from framewise.dataset.v1 import dataset_pb2 as dpb
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    await suite.add_images(dataset, 3)
    builder = suite.release_server_builder()
    original = builder.start
    builder.start = lambda release: None
    try:
        created = await suite.create_release(dataset.id, "v1")
    finally:
        builder.start = original
    # Its creator loses access to the dataset before the build runs (the admin, the
    # tests' default user, still sees the release).
    await suite.dataset.RemoveCollaborator(dpb.RemoveCollaboratorRequest(
        dataset_id=dataset.id, user="alice"))
    await suite.restart_release()
    done = await suite.wait(created.id)
    assert done.status == pb.RELEASE_STATUS_FAILED
    assert done.failure_reason
