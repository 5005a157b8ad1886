"""The labeling service's limits: a request just at each limit is served, one just over is
INVALID_ARGUMENT naming the field (the JSON path inside a label) and the limit."""

from __future__ import annotations

import json
from typing import Any

import grpc

from framewise.common.v1 import common_pb2
from framewise.labeling.v1 import labeling_pb2 as pb
from shared import limits as L
from tests.service.labeling.helpers import bbox, vector_label
from tests.support.errors import expect_error, expect_limit

LABEL = "label.attributes_json"


def _polygon(vertices: int) -> dict[str, Any]:
    return {"id": 1, "category_id": 1, "type": "polygon",
            "points": [[i, i % 7] for i in range(vertices)]}


def _nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for _ in range(depth - 1):
        document = {"a": document}
    return document


async def test_labels_at_and_over_their_limits(stack):
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_VECTOR)
    sample, = await stack.create_samples(dataset)

    def save(document: dict[str, Any]) -> Any:
        return stack.save(sample.id, document)

    boxes = [bbox(i) for i in range(L.MAX_ANNOTATIONS_PER_FRAME)]
    saved = await save(vector_label(*boxes))
    assert len(json.loads(saved.attributes_json)["annotations"]) == L.MAX_ANNOTATIONS_PER_FRAME
    boxes.append(bbox(L.MAX_ANNOTATIONS_PER_FRAME))
    await expect_limit(save(vector_label(*boxes)), f"{LABEL}.annotations",
                       L.MAX_ANNOTATIONS_PER_FRAME)
    del boxes

    await save(vector_label(_polygon(L.MAX_VERTICES)))
    await expect_limit(save(vector_label(_polygon(L.MAX_VERTICES + 1))),
                       f"{LABEL}.annotations[0].points", L.MAX_VERTICES)

    # JSON: unknown keys are kept, within the depth and key limits; the path is named
    await save({**vector_label(), "extra": _nested(L.MAX_JSON_DEPTH - 1)})
    await expect_limit(save({**vector_label(), "extra": _nested(L.MAX_JSON_DEPTH)}),
                       f"{LABEL}.extra" + ".a" * (L.MAX_JSON_DEPTH - 1), L.MAX_JSON_DEPTH)
    key = "k" * L.MAX_JSON_KEY_LENGTH
    await save({**vector_label(), "extra": {key: 1}})
    await expect_limit(save({**vector_label(), "extra": {key + "k": 1}}), f"{LABEL}.extra",
                       L.MAX_JSON_KEY_LENGTH)

    # URLs inside a label
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_SEGMENTATION_BITMAP, name="seg")
    sample, = await stack.create_samples(dataset)
    url = "https://example.com/" + "b" * (L.MAX_URL_LENGTH - 20)

    def label(bitmap_url: str) -> dict[str, Any]:
        return {"format_version": "0.1", "segmentation_bitmap": {"url": bitmap_url},
                "annotations": [{"id": 1, "category_id": 1}]}

    await stack.save(sample.id, label(url))
    await expect_limit(stack.save(sample.id, label(url + "b")),
                       f"{LABEL}.segmentation_bitmap.url", L.MAX_URL_LENGTH)


async def test_ids_names_users_counts_and_pages_at_and_over_their_limits(stack):
    dataset = await stack.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    sample, = await stack.create_samples(dataset, frames=2)
    labeling = stack.labeling

    # ids and label set names: at the limit they are looked up (and not found)
    await expect_error(labeling.GetLabel(pb.GetLabelRequest(sample_id="s" * L.MAX_ID_LENGTH)),
                       grpc.StatusCode.NOT_FOUND)
    await expect_limit(labeling.GetLabel(pb.GetLabelRequest(
        sample_id="s" * (L.MAX_ID_LENGTH + 1))), "sample_id", L.MAX_ID_LENGTH)
    await expect_error(labeling.GetLabel(pb.GetLabelRequest(
        sample_id=sample.id, label_set="l" * L.MAX_NAME_LENGTH)), grpc.StatusCode.NOT_FOUND)
    await expect_limit(labeling.SaveLabel(pb.SaveLabelRequest(label=pb.Label(
        sample_id=sample.id, label_set="l" * (L.MAX_NAME_LENGTH + 1)))),
        "label.label_set", L.MAX_NAME_LENGTH)

    # a labeler's user id
    labeler = "u" * L.MAX_USER_LENGTH
    held = await labeling.AssignSample(pb.AssignSampleRequest(sample_id=sample.id,
                                                              labeler=labeler))
    assert held.labeler == labeler
    await expect_limit(labeling.AssignSample(pb.AssignSampleRequest(
        sample_id=sample.id, labeler=labeler + "u")), "labeler", L.MAX_USER_LENGTH)

    # track ids per call
    ids = await labeling.AllocateTrackIds(pb.AllocateTrackIdsRequest(
        sample_id=sample.id, count=L.MAX_TRACK_IDS))
    assert len(ids.track_ids) == L.MAX_TRACK_IDS
    await expect_limit(labeling.AllocateTrackIds(pb.AllocateTrackIdsRequest(
        sample_id=sample.id, count=L.MAX_TRACK_IDS + 1)), "count", L.MAX_TRACK_IDS)

    # pages
    await labeling.ListLabels(pb.ListLabelsRequest(dataset_id=dataset.id,
                                                   page_size=L.MAX_PAGE_SIZE))
    await expect_limit(labeling.ListLabels(pb.ListLabelsRequest(
        dataset_id=dataset.id, page_size=L.MAX_PAGE_SIZE + 1)), "page_size", L.MAX_PAGE_SIZE)
    pages = labeling.StreamLabels(pb.StreamLabelsRequest(dataset_id=dataset.id,
                                                          page_size=L.MAX_PAGE_SIZE))
    assert [len(page.labels) async for page in pages] == [0]
    await expect_limit(_drain(labeling.StreamLabels(pb.StreamLabelsRequest(
        dataset_id=dataset.id, page_size=L.MAX_PAGE_SIZE + 1))), "page_size", L.MAX_PAGE_SIZE)
    await expect_limit(labeling.ListLabelRevisions(pb.ListLabelRevisionsRequest(
        sample_id=sample.id, page_token="t" * (L.MAX_PAGE_TOKEN_LENGTH + 1))),
        "page_token", L.MAX_PAGE_TOKEN_LENGTH)


async def _drain(stream: Any) -> list[Any]:
    return [item async for item in stream]
