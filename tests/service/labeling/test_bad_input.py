"""Bad input to every RPC: the right status code, and the bad field named."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest

from framewise.labeling.v1 import labeling_pb2 as pb
from framewise.labeling.v1 import labeling_pb2_grpc
from services.labeling.app import build_server as build_labeling
from tests.service.labeling.helpers import Stack, bbox, vector_label
from tests.support.errors import expect_error, field_violations
from tests.support.services import running, test_config

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
FIELD = "label.attributes_json"


async def test_save_label_bad_input(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    save = stack.labeling.SaveLabel
    await expect_error(save(pb.SaveLabelRequest(label=pb.Label(attributes_json="{}"))),
                       INVALID, "label.sample_id")
    await expect_error(save(pb.SaveLabelRequest(label=pb.Label(sample_id="missing"))),
                       NOT_FOUND)
    await expect_error(save(pb.SaveLabelRequest(label=pb.Label(
        sample_id=sample.id, attributes_json="{not json"))), INVALID, FIELD)
    await expect_error(save(pb.SaveLabelRequest(label=pb.Label(
        sample_id=sample.id, attributes_json="[1]"))), INVALID, FIELD)
    await expect_error(save(pb.SaveLabelRequest(label=pb.Label(
        sample_id=sample.id, attributes_json="{}", status=99))), INVALID, "label.status")
    await expect_error(save(pb.SaveLabelRequest(label=pb.Label(
        sample_id=sample.id, attributes_json="{}", score=float("nan")))), INVALID, "label.score")
    await expect_error(stack.save(sample.id, {}, label_set="nope"), NOT_FOUND)


async def test_save_label_reports_every_violation_with_its_path(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    document = vector_label(
        bbox(1, points=[[0, 0]]),                              # a bbox has 2 points
        bbox(2, category_id=42),                               # no such category
        bbox(3, attributes={"color": "green", "size": 1}),    # bad value, unknown name
        bbox(4, category_id=2),                                # mandatory 'pose' missing
        {"id": 4, "category_id": 1, "type": "circle", "points": []},
    )
    error = await expect_error(stack.save(sample.id, document), INVALID)
    violations = field_violations(error)
    for path in ("annotations[0].points", "annotations[1].category_id",
                 "annotations[2].attributes.color", "annotations[2].attributes.size",
                 "annotations[3].attributes.pose", "annotations[4].type",
                 "annotations[4].id"):
        assert f"{FIELD}.{path}" in violations, (path, violations)
    await expect_error(stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id)),
                       NOT_FOUND)  # nothing was saved


@pytest.mark.parametrize("rpc, request_message, field", [
    ("GetLabel", pb.GetLabelRequest(), "sample_id"),
    ("GetLabel", pb.GetLabelRequest(sample_id="x", revision=-1), "revision"),
    ("DeleteLabel", pb.DeleteLabelRequest(), "sample_id"),
    ("ListLabels", pb.ListLabelsRequest(), "dataset_id"),
    ("ListLabels", pb.ListLabelsRequest(dataset_id="x", page_size=5000), "page_size"),
    ("ListLabels", pb.ListLabelsRequest(dataset_id="x", page_token="???"), "page_token"),
    ("ListLabels", pb.ListLabelsRequest(dataset_id="x", status=77), "status"),
    ("ListLabelRevisions", pb.ListLabelRevisionsRequest(), "sample_id"),
    ("ListLabelRevisions", pb.ListLabelRevisionsRequest(sample_id="x", page_size=-1),
     "page_size"),
    ("ClaimNextSample", pb.ClaimNextSampleRequest(), "dataset_id"),
    ("ReleaseSample", pb.ReleaseSampleRequest(), "sample_id"),
    ("AssignSample", pb.AssignSampleRequest(labeler="x"), "sample_id"),
    ("AssignSample", pb.AssignSampleRequest(sample_id="x", labeler="x" * 201), "labeler"),
    ("AllocateTrackIds", pb.AllocateTrackIdsRequest(), "sample_id"),
    ("AllocateTrackIds", pb.AllocateTrackIdsRequest(sample_id="x", count=1001), "count"),
])
async def test_unary_bad_input(stack: Stack, rpc: str, request_message: object,
                               field: str) -> None:
    await expect_error(getattr(stack.labeling, rpc)(request_message), INVALID, field)


@pytest.mark.parametrize("rpc, request_message", [
    ("GetLabel", pb.GetLabelRequest(sample_id="missing")),
    ("DeleteLabel", pb.DeleteLabelRequest(sample_id="missing")),
    ("ListLabels", pb.ListLabelsRequest(dataset_id="missing")),
    ("ListLabelRevisions", pb.ListLabelRevisionsRequest(sample_id="missing")),
    ("ClaimNextSample", pb.ClaimNextSampleRequest(dataset_id="missing")),
    ("ReleaseSample", pb.ReleaseSampleRequest(sample_id="missing")),
    ("AssignSample", pb.AssignSampleRequest(sample_id="missing", labeler="a")),
    ("AllocateTrackIds", pb.AllocateTrackIdsRequest(sample_id="missing")),
])
async def test_unary_missing_resource(stack: Stack, rpc: str, request_message: object) -> None:
    await expect_error(getattr(stack.labeling, rpc)(request_message), NOT_FOUND)


async def test_stream_labels_bad_input(stack: Stack) -> None:
    async def drain(request: pb.StreamLabelsRequest) -> None:
        async for _ in stack.labeling.StreamLabels(request):
            pass

    await expect_error(drain(pb.StreamLabelsRequest()), INVALID, "dataset_id")
    await expect_error(drain(pb.StreamLabelsRequest(dataset_id="missing")), NOT_FOUND)
    dataset = await stack.create_dataset()
    await expect_error(drain(pb.StreamLabelsRequest(dataset_id=dataset.id, page_size=-3)),
                       INVALID, "page_size")
    await expect_error(drain(pb.StreamLabelsRequest(dataset_id=dataset.id,
                                                    as_of_revision=10**9)),
                       INVALID, "as_of_revision")


async def test_allocate_track_ids_on_an_image_is_failed_precondition(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    await expect_error(stack.labeling.AllocateTrackIds(
        pb.AllocateTrackIdsRequest(sample_id=sample.id)), grpc.StatusCode.FAILED_PRECONDITION)


async def test_dataset_service_down_is_unavailable_quickly(db_url: str, tmp_path: Path) -> None:
    config = test_config("labeling", db_url, tmp_path, peers={"dataset": "127.0.0.1:9"})
    async with running(build_labeling, config) as (_, channel):
        stub = labeling_pb2_grpc.LabelingServiceStub(channel)
        start = time.monotonic()
        await expect_error(stub.GetLabel(pb.GetLabelRequest(sample_id="x")),
                           grpc.StatusCode.UNAVAILABLE)
        assert time.monotonic() - start < 5
