"""The README's access table, walked: each role against each RPC.

Roles below the one the table names get PERMISSION_DENIED (a caller with no role at all
gets NOT_FOUND); the first role that is enough gets past the access check. Every RPC of
the four services is in the table, and the table is what this test reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2 as rpb
from framewise.release.v1 import release_pb2_grpc
from tests.service.release.helpers import Suite, bbox, suite_running

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ["none", "viewer", "labeler", "reviewer", "manager", "admin"]
# The dataset's creator (its admin) is the tests' default user, the one helpers act as.
ADMIN = "local"
PROTO_ROLE = {"viewer": dpb.ROLE_VIEWER, "labeler": dpb.ROLE_LABELER,
              "reviewer": dpb.ROLE_REVIEWER, "manager": dpb.ROLE_MANAGER,
              "admin": dpb.ROLE_ADMIN}
SERVICES = {
    "DatasetService": dpb.DESCRIPTOR.services_by_name["DatasetService"],
    "LabelingService": lpb.DESCRIPTOR.services_by_name["LabelingService"],
    "InterpolationService": ipb.DESCRIPTOR.services_by_name["InterpolationService"],
    "ReleaseService": rpb.DESCRIPTOR.services_by_name["ReleaseService"],
}


def access_table() -> dict[str, str]:
    """RPC -> the role it needs ('none' for any caller), from the README."""
    text = README.read_text()
    block = text[text.index("<!-- access-table -->"):text.index("<!-- /access-table -->")]
    table = {}
    for rpc, needed in re.findall(r"^\| `(\w+/\w+)` \| ([^|]+) \|$", block, re.MULTILINE):
        if "viewer (stored label)" in needed:
            table[rpc] = "viewer"  # the calls below read stored labels
        elif needed.startswith("any caller"):
            table[rpc] = "none"
        else:
            table[rpc] = needed.split()[0]
    return table


def as_user(name: str) -> tuple[tuple[str, str], ...]:
    return (("x-test-user", name),)


class World:
    """A dataset whose admin is ADMIN and with one collaborator per role, a sample
    held by the labeler, a labeled sequence, and a built release."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.dataset: dpb.Dataset
        self.sample: dpb.Sample
        self.sequence: dpb.Sample
        self.release: rpb.Release
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    async def build(self) -> None:
        admin = as_user(ADMIN)
        self.dataset = await self.suite.dataset.CreateDataset(dpb.CreateDatasetRequest(
            dataset=dpb.Dataset(name="walk", task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
                                task_attributes=dpb.TaskAttributes(categories=[
                                    dpb.Category(id=1, name="car")]))), metadata=admin)
        for user, role in PROTO_ROLE.items():
            if user != "admin":
                await self.suite.dataset.AddCollaborator(dpb.AddCollaboratorRequest(
                    collaborator=dpb.Collaborator(dataset_id=self.dataset.id, user=user,
                                                  role=role)), metadata=admin)
        self.sample = await self.new_sample()
        self.sequence = await self.new_sample()
        await self.suite.labeling.AssignSample(lpb.AssignSampleRequest(
            sample_id=self.sample.id, labeler="labeler"), metadata=admin)
        await self.suite.labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=self.sequence.id, attributes_json=json.dumps(self.sequence_label()))),
            metadata=admin)
        created = await self.suite.release.CreateRelease(rpb.CreateReleaseRequest(
            release=rpb.Release(dataset_id=self.dataset.id, name="v1")), metadata=admin)
        self.release = await self.suite.wait(created.id)
        assert self.release.status == rpb.RELEASE_STATUS_SUCCEEDED, self.release.failure_reason

    async def new_sample(self) -> dpb.Sample:
        frames = [{"image": {"url": f"u{i}"}} for i in range(3)]
        return await self.suite.dataset.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
            dataset_id=self.dataset.id, name=self.fresh("s"),
            attributes_json=json.dumps({"frames": frames}))), metadata=as_user(ADMIN))

    @staticmethod
    def sequence_label() -> dict[str, Any]:
        box = {**bbox(1), "track_id": 1, "is_keyframe": True}
        return {"format_version": "0.2", "frames": [{"annotations": [box]}, {"annotations": []},
                                                    {"annotations": []}]}


Call = Callable[[World, tuple[tuple[str, str], ...]], Awaitable[Any]]


async def _drain(stream: Any) -> None:
    async for _ in stream:
        pass


def calls(suite: Suite) -> dict[str, Call]:
    """One call per RPC, made as the user in the metadata; destructive ones on fresh
    resources, so every role's attempt finds what it needs."""
    ds: dataset_pb2_grpc.DatasetServiceStub = suite.dataset
    lb: labeling_pb2_grpc.LabelingServiceStub = suite.labeling
    ip: interpolation_pb2_grpc.InterpolationServiceStub = suite.interpolation
    rl: release_pb2_grpc.ReleaseServiceStub = suite.release
    mask = field_mask_pb2.FieldMask
    stored = ipb.StoredLabel

    async def delete_dataset(w: World, m: Any) -> Any:
        other = await ds.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
            name=w.fresh("gone"), task_type=common_pb2.TASK_TYPE_BBOXES)),
            metadata=as_user(ADMIN))
        for user, role in PROTO_ROLE.items():
            if user != "admin":
                await ds.AddCollaborator(dpb.AddCollaboratorRequest(collaborator=dpb.Collaborator(
                    dataset_id=other.id, user=user, role=role)), metadata=as_user(ADMIN))
        return await ds.DeleteDataset(dpb.DeleteDatasetRequest(dataset_id=other.id), metadata=m)

    async def delete_sample(w: World, m: Any) -> Any:
        sample = await w.new_sample()
        return await ds.DeleteSample(dpb.DeleteSampleRequest(sample_id=sample.id), metadata=m)

    async def delete_label_set(w: World, m: Any) -> Any:
        name = w.fresh("set")
        await ds.CreateLabelSet(dpb.CreateLabelSetRequest(label_set=dpb.LabelSet(
            dataset_id=w.dataset.id, name=name)), metadata=as_user(ADMIN))
        return await ds.DeleteLabelSet(dpb.DeleteLabelSetRequest(dataset_id=w.dataset.id,
                                                                 name=name), metadata=m)

    async def remove_collaborator(w: World, m: Any) -> Any:
        user = w.fresh("guest")
        await ds.AddCollaborator(dpb.AddCollaboratorRequest(collaborator=dpb.Collaborator(
            dataset_id=w.dataset.id, user=user, role=dpb.ROLE_VIEWER)), metadata=as_user(ADMIN))
        return await ds.RemoveCollaborator(dpb.RemoveCollaboratorRequest(
            dataset_id=w.dataset.id, user=user), metadata=m)

    async def delete_label(w: World, m: Any) -> Any:
        sample = await w.new_sample()
        await lb.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=sample.id, attributes_json=json.dumps(w.sequence_label()))),
            metadata=as_user(ADMIN))
        return await lb.DeleteLabel(lpb.DeleteLabelRequest(sample_id=sample.id), metadata=m)

    async def release_sample(w: World, m: Any) -> Any:
        sample = await w.new_sample()
        return await lb.ReleaseSample(lpb.ReleaseSampleRequest(sample_id=sample.id), metadata=m)

    async def delete_release(w: World, m: Any) -> Any:
        created = await rl.CreateRelease(rpb.CreateReleaseRequest(release=rpb.Release(
            dataset_id=w.dataset.id, name=w.fresh("r"))), metadata=as_user(ADMIN))
        await suite.wait(created.id)
        return await rl.DeleteRelease(rpb.DeleteReleaseRequest(release_id=created.id), metadata=m)

    return {
        "DatasetService/CreateDataset": lambda w, m: ds.CreateDataset(dpb.CreateDatasetRequest(
            dataset=dpb.Dataset(name=w.fresh("d"), task_type=common_pb2.TASK_TYPE_BBOXES)),
            metadata=m),
        "DatasetService/GetDataset": lambda w, m: ds.GetDataset(dpb.GetDatasetRequest(
            dataset_id=w.dataset.id), metadata=m),
        "DatasetService/ListDatasets": lambda w, m: ds.ListDatasets(dpb.ListDatasetsRequest(),
                                                                    metadata=m),
        "DatasetService/UpdateDataset": lambda w, m: ds.UpdateDataset(dpb.UpdateDatasetRequest(
            dataset=dpb.Dataset(id=w.dataset.id, description="d"),
            update_mask=mask(paths=["description"])), metadata=m),
        "DatasetService/DeleteDataset": delete_dataset,
        "DatasetService/CreateSample": lambda w, m: ds.CreateSample(dpb.CreateSampleRequest(
            sample=dpb.Sample(dataset_id=w.dataset.id, name=w.fresh("c"),
                              attributes_json='{"frames": [{"image": {"url": "u"}}]}')),
            metadata=m),
        "DatasetService/BatchCreateSamples": lambda w, m: ds.BatchCreateSamples(
            dpb.BatchCreateSamplesRequest(dataset_id=w.dataset.id, samples=[dpb.Sample(
                name=w.fresh("b"), attributes_json='{"frames": [{"image": {"url": "u"}}]}')]),
            metadata=m),
        "DatasetService/GetSample": lambda w, m: ds.GetSample(dpb.GetSampleRequest(
            sample_id=w.sample.id), metadata=m),
        "DatasetService/ListSamples": lambda w, m: ds.ListSamples(dpb.ListSamplesRequest(
            dataset_id=w.dataset.id), metadata=m),
        "DatasetService/UpdateSample": lambda w, m: ds.UpdateSample(dpb.UpdateSampleRequest(
            sample=dpb.Sample(id=w.sample.id, priority=3), update_mask=mask(paths=["priority"])),
            metadata=m),
        "DatasetService/DeleteSample": delete_sample,
        "DatasetService/GetSampleFrames": lambda w, m: ds.GetSampleFrames(
            dpb.GetSampleFramesRequest(sample_id=w.sample.id), metadata=m),
        "DatasetService/CreateLabelSet": lambda w, m: ds.CreateLabelSet(dpb.CreateLabelSetRequest(
            label_set=dpb.LabelSet(dataset_id=w.dataset.id, name=w.fresh("ls"))), metadata=m),
        "DatasetService/GetLabelSet": lambda w, m: ds.GetLabelSet(dpb.GetLabelSetRequest(
            dataset_id=w.dataset.id, name="ground-truth"), metadata=m),
        "DatasetService/ListLabelSets": lambda w, m: ds.ListLabelSets(dpb.ListLabelSetsRequest(
            dataset_id=w.dataset.id), metadata=m),
        "DatasetService/DeleteLabelSet": delete_label_set,
        "DatasetService/AddCollaborator": lambda w, m: ds.AddCollaborator(
            dpb.AddCollaboratorRequest(collaborator=dpb.Collaborator(
                dataset_id=w.dataset.id, user=w.fresh("new"), role=dpb.ROLE_VIEWER)), metadata=m),
        "DatasetService/ListCollaborators": lambda w, m: ds.ListCollaborators(
            dpb.ListCollaboratorsRequest(dataset_id=w.dataset.id), metadata=m),
        "DatasetService/UpdateCollaborator": lambda w, m: ds.UpdateCollaborator(
            dpb.UpdateCollaboratorRequest(collaborator=dpb.Collaborator(
                dataset_id=w.dataset.id, user="viewer", role=dpb.ROLE_VIEWER),
                update_mask=mask(paths=["role"])), metadata=m),
        "DatasetService/RemoveCollaborator": remove_collaborator,
        "LabelingService/GetLabel": lambda w, m: lb.GetLabel(lpb.GetLabelRequest(
            sample_id=w.sequence.id), metadata=m),
        "LabelingService/SaveLabel": lambda w, m: lb.SaveLabel(lpb.SaveLabelRequest(
            label=lpb.Label(sample_id=w.sample.id, attributes_json=json.dumps(w.sequence_label()),
                            status=common_pb2.LABEL_STATUS_LABELED)), metadata=m),
        "LabelingService/DeleteLabel": delete_label,
        "LabelingService/ListLabels": lambda w, m: lb.ListLabels(lpb.ListLabelsRequest(
            dataset_id=w.dataset.id), metadata=m),
        "LabelingService/ListLabelRevisions": lambda w, m: lb.ListLabelRevisions(
            lpb.ListLabelRevisionsRequest(sample_id=w.sequence.id), metadata=m),
        "LabelingService/StreamLabels": lambda w, m: _drain(lb.StreamLabels(
            lpb.StreamLabelsRequest(dataset_id=w.dataset.id), metadata=m)),
        "LabelingService/ClaimNextSample": lambda w, m: lb.ClaimNextSample(
            lpb.ClaimNextSampleRequest(dataset_id=w.dataset.id), metadata=m),
        "LabelingService/ReleaseSample": release_sample,
        "LabelingService/AssignSample": lambda w, m: lb.AssignSample(lpb.AssignSampleRequest(
            sample_id=w.sequence.id, labeler="labeler"), metadata=m),
        "LabelingService/AllocateTrackIds": lambda w, m: lb.AllocateTrackIds(
            lpb.AllocateTrackIdsRequest(sample_id=w.sequence.id), metadata=m),
        "InterpolationService/StreamFrameStates": lambda w, m: _drain(ip.StreamFrameStates(
            ipb.StreamFrameStatesRequest(stored_label=stored(sample_id=w.sequence.id)),
            metadata=m)),
        "InterpolationService/GetFrameState": lambda w, m: ip.GetFrameState(
            ipb.GetFrameStateRequest(stored_label=stored(sample_id=w.sequence.id), frame=1),
            metadata=m),
        "ReleaseService/CreateRelease": lambda w, m: rl.CreateRelease(rpb.CreateReleaseRequest(
            release=rpb.Release(dataset_id=w.dataset.id, name=w.fresh("rel"))), metadata=m),
        "ReleaseService/GetRelease": lambda w, m: rl.GetRelease(rpb.GetReleaseRequest(
            release_id=w.release.id), metadata=m),
        "ReleaseService/ListReleases": lambda w, m: rl.ListReleases(rpb.ListReleasesRequest(
            dataset_id=w.dataset.id), metadata=m),
        "ReleaseService/DeleteRelease": delete_release,
        "ReleaseService/DownloadRelease": lambda w, m: _drain(rl.DownloadRelease(
            rpb.DownloadReleaseRequest(release_id=w.release.id), metadata=m)),
        "ReleaseService/GetReleaseDownloadUrl": lambda w, m: rl.GetReleaseDownloadUrl(
            rpb.GetReleaseDownloadUrlRequest(release_id=w.release.id), metadata=m),
        "ReleaseService/ExportRelease": lambda w, m: _drain(rl.ExportRelease(
            rpb.ExportReleaseRequest(release_id=w.release.id,
                                     format=rpb.EXPORT_FORMAT_RELEASE_JSON), metadata=m)),
        "ReleaseService/DiffReleases": lambda w, m: _drain(rl.DiffReleases(
            rpb.DiffReleasesRequest(base_release_id=w.release.id,
                                    target_release_id=w.release.id), metadata=m)),
    }


def test_the_table_names_every_rpc_of_every_service() -> None:
    table = access_table()
    every = {f"{name}/{method.name}" for name, service in SERVICES.items()
             for method in service.methods}
    assert set(table) == every


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with suite_running(f"sqlite+aiosqlite:///{tmp_path / 'release.db'}",
                             tmp_path) as suite:
        built = World(suite)
        await built.build()
        yield built


async def _code(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_each_role_against_each_rpc(world: World) -> None:
    table = access_table()
    factories = calls(world.suite)
    wrong: list[str] = []
    for rpc, needed in sorted(table.items()):
        for role in ROLES:
            user = {"none": "stranger", "admin": ADMIN}.get(role, role)
            code = await _code(factories[rpc](world, as_user(user)))
            allowed = ROLES.index(role) >= ROLES.index(needed)
            if allowed:
                ok = code not in (grpc.StatusCode.PERMISSION_DENIED,
                                  grpc.StatusCode.UNAUTHENTICATED)
                if role == needed or needed == "none":
                    ok = ok and code != grpc.StatusCode.NOT_FOUND
            elif role == "none":
                ok = code == grpc.StatusCode.NOT_FOUND
            else:
                ok = code == grpc.StatusCode.PERMISSION_DENIED
            if not ok:
                wrong.append(f"{rpc} as {role} (needs {needed}): {code.name}")
    assert not wrong, "\n".join(wrong)
