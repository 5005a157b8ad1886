"""Label sets and collaborators over gRPC."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2

from framewise.dataset.v1 import dataset_pb2 as pb
from tests.service.dataset.factories import create_dataset
from tests.support.errors import error_reason, expect_error


async def test_label_sets_can_be_added_listed_and_deleted_but_not_ground_truth(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    created = await dataset_stub.CreateLabelSet(pb.CreateLabelSetRequest(
        label_set=pb.LabelSet(dataset_id=dataset.id, name="model-v2", description="preds")))
    assert not created.is_default
    got = await dataset_stub.GetLabelSet(pb.GetLabelSetRequest(dataset_id=dataset.id,
                                                               name="model-v2"))
    assert got.description == "preds"
    await expect_error(dataset_stub.CreateLabelSet(pb.CreateLabelSetRequest(
        label_set=pb.LabelSet(dataset_id=dataset.id, name="model-v2"))),
        grpc.StatusCode.ALREADY_EXISTS)
    for i in range(3):
        await dataset_stub.CreateLabelSet(pb.CreateLabelSetRequest(
            label_set=pb.LabelSet(dataset_id=dataset.id, name=f"m{i}")))
    first = await dataset_stub.ListLabelSets(pb.ListLabelSetsRequest(dataset_id=dataset.id,
                                                                     page_size=3))
    rest = await dataset_stub.ListLabelSets(pb.ListLabelSetsRequest(
        dataset_id=dataset.id, page_size=3, page_token=first.next_page_token))
    names = [s.name for s in [*first.label_sets, *rest.label_sets]]
    assert sorted(names) == ["ground-truth", "m0", "m1", "m2", "model-v2"]
    assert not rest.next_page_token
    error = await expect_error(dataset_stub.DeleteLabelSet(pb.DeleteLabelSetRequest(
        dataset_id=dataset.id, name="ground-truth")), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(error) == "DEFAULT_LABEL_SET"
    await dataset_stub.DeleteLabelSet(pb.DeleteLabelSetRequest(dataset_id=dataset.id,
                                                               name="model-v2"))
    await expect_error(dataset_stub.GetLabelSet(pb.GetLabelSetRequest(
        dataset_id=dataset.id, name="model-v2")), grpc.StatusCode.NOT_FOUND)


async def test_collaborators_have_roles(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    added = await dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(collaborator=
        pb.Collaborator(dataset_id=dataset.id, user="lea", role=pb.ROLE_LABELER)))
    assert added.role == pb.ROLE_LABELER
    await expect_error(dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(collaborator=
        pb.Collaborator(dataset_id=dataset.id, user="lea", role=pb.ROLE_VIEWER))),
        grpc.StatusCode.ALREADY_EXISTS)
    updated = await dataset_stub.UpdateCollaborator(pb.UpdateCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="lea", role=pb.ROLE_REVIEWER),
        update_mask=field_mask_pb2.FieldMask(paths=["role"])))
    assert updated.role == pb.ROLE_REVIEWER
    listed = await dataset_stub.ListCollaborators(pb.ListCollaboratorsRequest(
        dataset_id=dataset.id))
    assert {(c.user, c.role) for c in listed.collaborators} == {
        ("local", pb.ROLE_ADMIN), ("lea", pb.ROLE_REVIEWER)}
    await dataset_stub.RemoveCollaborator(pb.RemoveCollaboratorRequest(dataset_id=dataset.id,
                                                                       user="lea"))
    await expect_error(dataset_stub.RemoveCollaborator(pb.RemoveCollaboratorRequest(
        dataset_id=dataset.id, user="lea")), grpc.StatusCode.NOT_FOUND)
