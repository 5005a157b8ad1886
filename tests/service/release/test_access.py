"""Releases follow their dataset's roles: managers create, viewers read, admins delete."""

from __future__ import annotations

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import Suite
from tests.support.errors import expect_error


def as_user(name: str) -> tuple[tuple[str, str], ...]:
    return (("x-test-user", name),)


async def test_roles_on_releases(suite: Suite) -> None:
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_BBOXES)
    await suite.add_images(dataset, 2)
    for user, role in (("vic", dpb.ROLE_VIEWER), ("max", dpb.ROLE_MANAGER)):
        await suite.dataset.AddCollaborator(dpb.AddCollaboratorRequest(
            collaborator=dpb.Collaborator(dataset_id=dataset.id, user=user, role=role)))
    request = pb.CreateReleaseRequest(release=pb.Release(dataset_id=dataset.id, name="v1"))
    await expect_error(suite.release.CreateRelease(request, metadata=as_user("vic")),
                       grpc.StatusCode.PERMISSION_DENIED)
    await expect_error(suite.release.CreateRelease(request, metadata=as_user("mallory")),
                       grpc.StatusCode.NOT_FOUND)
    created = await suite.release.CreateRelease(request, metadata=as_user("max"))
    assert created.created_by == "max"
    done = await suite.wait(created.id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    seen = await suite.release.GetRelease(pb.GetReleaseRequest(release_id=created.id),
                                          metadata=as_user("vic"))
    assert seen.id == created.id
    listed = await suite.release.ListReleases(pb.ListReleasesRequest(dataset_id=dataset.id),
                                              metadata=as_user("vic"))
    assert [r.id for r in listed.releases] == [created.id]
    for call in (
        suite.release.GetRelease(pb.GetReleaseRequest(release_id=created.id),
                                 metadata=as_user("mallory")),
        suite.release.ListReleases(pb.ListReleasesRequest(dataset_id=dataset.id),
                                   metadata=as_user("mallory")),
    ):
        await expect_error(call, grpc.StatusCode.NOT_FOUND)
    await expect_error(suite.release.DeleteRelease(pb.DeleteReleaseRequest(
        release_id=created.id), metadata=as_user("max")), grpc.StatusCode.PERMISSION_DENIED)
    await suite.release.DeleteRelease(pb.DeleteReleaseRequest(release_id=created.id))
