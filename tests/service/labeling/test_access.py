"""What each collaborator role may do with labels (the README's access table)."""

from __future__ import annotations

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.labeling.v1 import labeling_pb2 as pb
from tests.service.labeling.helpers import Stack, as_user, vector_label
from tests.support.errors import error_reason, expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED


async def _with_roles(stack: Stack) -> tuple[dpb.Dataset, dpb.Sample, dpb.Sample]:
    dataset = await stack.create_dataset()
    for user, role in (("vic", dpb.ROLE_VIEWER), ("lea", dpb.ROLE_LABELER),
                       ("rev", dpb.ROLE_REVIEWER)):
        await stack.dataset.AddCollaborator(dpb.AddCollaboratorRequest(
            collaborator=dpb.Collaborator(dataset_id=dataset.id, user=user, role=role)))
    first, second = await stack.create_samples(dataset, 2, priorities=[5, 1])
    return dataset, first, second


async def test_a_labeler_saves_only_what_it_holds_as_labeled_or_skipped(stack: Stack) -> None:
    dataset, first, second = await _with_roles(stack)
    error = await expect_error(stack.save(first.id, vector_label(), user="lea"), DENIED)
    assert error_reason(error) == "NOT_HOLDER"
    claimed = await stack.labeling.ClaimNextSample(
        pb.ClaimNextSampleRequest(dataset_id=dataset.id), metadata=as_user("lea"))
    assert claimed.assignment.sample_id == first.id
    saved = await stack.save(first.id, vector_label(), user="lea",
                             status=common_pb2.LABEL_STATUS_SKIPPED)
    assert saved.status == common_pb2.LABEL_STATUS_SKIPPED
    error = await expect_error(stack.save(first.id, vector_label(), user="lea",
                                          status=common_pb2.LABEL_STATUS_REVIEWED), DENIED)
    assert error_reason(error) == "STATUS_NOT_ALLOWED"
    for call in (
        stack.labeling.AssignSample(pb.AssignSampleRequest(sample_id=second.id, labeler="lea"),
                                    metadata=as_user("lea")),
        stack.labeling.DeleteLabel(pb.DeleteLabelRequest(sample_id=first.id),
                                   metadata=as_user("lea")),
    ):
        await expect_error(call, DENIED)


async def test_an_assigned_sample_needs_no_claim(stack: Stack) -> None:
    _, first, _ = await _with_roles(stack)
    await stack.labeling.AssignSample(pb.AssignSampleRequest(sample_id=first.id, labeler="lea"))
    saved = await stack.save(first.id, vector_label(), user="lea")
    assert saved.updated_by == "lea"


async def test_a_reviewer_reviews_any_sample_and_a_viewer_only_reads(stack: Stack) -> None:
    _, first, _ = await _with_roles(stack)
    await stack.save(first.id, vector_label(), user="alice")
    reviewed = await stack.save(first.id, vector_label(), user="rev",
                                status=common_pb2.LABEL_STATUS_REVIEWED)
    assert reviewed.reviewed_by == "rev"
    await expect_error(stack.save(first.id, vector_label(), user="rev",
                                  status=common_pb2.LABEL_STATUS_VERIFIED), DENIED)
    read = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=first.id),
                                         metadata=as_user("vic"))
    assert read.status == common_pb2.LABEL_STATUS_REVIEWED
    await expect_error(stack.save(first.id, vector_label(), user="vic"), DENIED)
    await expect_error(stack.labeling.ClaimNextSample(pb.ClaimNextSampleRequest(
        dataset_id=first.dataset_id), metadata=as_user("vic")), DENIED)


async def test_strangers_do_not_learn_the_dataset_exists(stack: Stack) -> None:
    _, first, _ = await _with_roles(stack)
    await stack.save(first.id, vector_label(), user="alice")
    for call in (
        stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=first.id),
                                metadata=as_user("mallory")),
        stack.save(first.id, vector_label(), user="mallory"),
        stack.labeling.ListLabels(pb.ListLabelsRequest(dataset_id=first.dataset_id),
                                  metadata=as_user("mallory")),
    ):
        await expect_error(call, grpc.StatusCode.NOT_FOUND)
