from __future__ import annotations

import json

import grpc
from grpc_health.v1 import health_pb2

from framewise.labeling.v1 import labeling_pb2 as pb
from tests.service.labeling.helpers import Stack, vector_label
from tests.support.errors import expect_error


async def test_save_then_get(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    saved = await stack.save(sample.id, vector_label())
    assert saved.revision > 0 and saved.etag and saved.dataset_id == dataset.id
    got = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
    assert json.loads(got.attributes_json)["annotations"][0]["type"] == "bbox"
    assert got.created_by == "alice" and got.label_set == "ground-truth"
    await expect_error(stack.labeling.GetLabel(pb.GetLabelRequest(sample_id="nope")),
                       grpc.StatusCode.NOT_FOUND)
