"""Claiming, releasing and assigning samples; holds enforced on saves; track ids."""

from __future__ import annotations

import asyncio

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.labeling.v1 import labeling_pb2 as pb
from tests.service.labeling.helpers import Stack, as_user, vector_label
from tests.support.errors import error_reason, expect_error


async def _claim(stack: Stack, dataset_id: str, user: str) -> str:
    response = await stack.labeling.ClaimNextSample(
        pb.ClaimNextSampleRequest(dataset_id=dataset_id), metadata=as_user(user))
    return response.assignment.sample_id if response.HasField("assignment") else ""


async def test_claim_by_priority_skips_labeled_and_held(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    low, high, mid = await stack.create_samples(dataset, 3, priorities=[1, 9, 5])
    await stack.save(high.id, vector_label())  # labeled: not offered
    assert await _claim(stack, dataset.id, "alice") == mid.id
    assert await _claim(stack, dataset.id, "alice") == mid.id  # her unfinished sample again
    assert await _claim(stack, dataset.id, "bob") == low.id
    assert await _claim(stack, dataset.id, "carol") == ""
    # An UNLABELED label still needs a labeler.
    await stack.save(high.id, vector_label(), status=common_pb2.LABEL_STATUS_UNLABELED)
    assert await _claim(stack, dataset.id, "carol") == high.id


async def test_concurrent_claims_never_share_a_sample(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    await stack.create_samples(dataset, 6, priorities=[3, 3, 2, 2, 1, 1])
    claimed = await asyncio.gather(*(_claim(stack, dataset.id, f"user{i}") for i in range(8)))
    got = [c for c in claimed if c]
    assert len(got) == 6 and len(set(got)) == 6


async def test_hold_blocks_other_savers_until_released(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    assert await _claim(stack, dataset.id, "alice") == sample.id
    error = await expect_error(stack.save(sample.id, vector_label(), user="bob"),
                               grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(error) == "SAMPLE_HELD"
    # A manager waits for the hold too; only the dataset's admins do not (test_hostile).
    await expect_error(stack.save(sample.id, vector_label(), user="carol"),
                       grpc.StatusCode.FAILED_PRECONDITION)
    await stack.save(sample.id, vector_label(), user="alice")
    await stack.dataset.AddCollaborator(dpb.AddCollaboratorRequest(collaborator=dpb.Collaborator(
        dataset_id=dataset.id, user="lea", role=dpb.ROLE_LABELER)))
    await expect_error(stack.labeling.ReleaseSample(pb.ReleaseSampleRequest(sample_id=sample.id),
                                                    metadata=as_user("lea")),
                       grpc.StatusCode.FAILED_PRECONDITION)
    released = await stack.labeling.ReleaseSample(pb.ReleaseSampleRequest(sample_id=sample.id),
                                                  metadata=as_user("alice"))
    assert released.labeler == ""
    await stack.save(sample.id, vector_label(), user="bob")


async def test_manager_assigns_and_unassigns(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    assigned = await stack.labeling.AssignSample(
        pb.AssignSampleRequest(sample_id=sample.id, labeler="dave"), metadata=as_user("boss"))
    assert assigned.labeler == "dave" and assigned.assign_time.seconds > 0
    await expect_error(stack.save(sample.id, vector_label(), user="alice"),
                       grpc.StatusCode.FAILED_PRECONDITION)
    await stack.save(sample.id, vector_label(), user="dave")
    reassigned = await stack.labeling.AssignSample(
        pb.AssignSampleRequest(sample_id=sample.id, labeler="alice"))
    assert reassigned.labeler == "alice"
    await stack.labeling.AssignSample(pb.AssignSampleRequest(sample_id=sample.id))
    await stack.save(sample.id, vector_label(), user="erin")


async def test_allocate_track_ids_never_repeats(stack: Stack) -> None:
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    (sample,) = await stack.create_samples(dataset, frames=3)
    first = await stack.labeling.AllocateTrackIds(
        pb.AllocateTrackIdsRequest(sample_id=sample.id, count=2))
    assert list(first.track_ids) == [1, 2]
    frame = {"annotations": [{"id": 1, "track_id": 7, "is_keyframe": True, "category_id": 1,
                              "type": "point", "points": [[1, 1]]}]}
    await stack.save(sample.id, {"format_version": "0.2", "frames": [frame]})
    after_label = await stack.labeling.AllocateTrackIds(
        pb.AllocateTrackIdsRequest(sample_id=sample.id))
    assert list(after_label.track_ids) == [8]
    together = await asyncio.gather(*(stack.labeling.AllocateTrackIds(
        pb.AllocateTrackIdsRequest(sample_id=sample.id, count=3)) for _ in range(8)))
    ids = [i for r in together for i in r.track_ids]
    assert len(ids) == len(set(ids)) == 24 and min(ids) == 9
