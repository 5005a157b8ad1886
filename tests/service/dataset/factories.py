"""Small builders of dataset-service requests for tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from framewise.dataset.v1 import dataset_pb2_grpc

IMAGE_SEQUENCE = common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE


def categories() -> pb.TaskAttributes:
    return pb.TaskAttributes(categories=[
        pb.Category(id=1, name="car", color="#ff0000", attributes=[
            pb.AttributeDefinition(name="occluded",
                                   input_type=pb.ATTRIBUTE_INPUT_TYPE_CHECKBOX),
            pb.AttributeDefinition(name="color", input_type=pb.ATTRIBUTE_INPUT_TYPE_SELECT,
                                   values=["red", "blue"], is_track_level=True),
        ]),
        pb.Category(id=2, name="person"),
    ])


def unique_name(prefix: str = "ds") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def create_dataset(stub: dataset_pb2_grpc.DatasetServiceStub,
                         task_type: int = IMAGE_SEQUENCE, name: str | None = None,
                         **fields: Any) -> pb.Dataset:
    dataset = pb.Dataset(name=name or unique_name(), task_type=task_type,
                         task_attributes=categories(), **fields)
    return await stub.CreateDataset(pb.CreateDatasetRequest(dataset=dataset))


def sequence_attributes(frames: int, *, timestamps: bool = True) -> str:
    return json.dumps({"frames": [
        {"image": {"url": f"https://example.com/f{i}.jpg"}, "name": f"f{i}",
         **({"timestamp": 1000 + 40 * i} if timestamps else {})}
        for i in range(frames)
    ]})


def image_attributes(url: str = "https://example.com/a.jpg") -> str:
    return json.dumps({"image": {"url": url}})


async def create_sequence(stub: dataset_pb2_grpc.DatasetServiceStub, dataset_id: str,
                          name: str, frames: int = 5, **fields: Any) -> pb.Sample:
    sample = pb.Sample(dataset_id=dataset_id, name=name,
                       attributes_json=sequence_attributes(frames), **fields)
    return await stub.CreateSample(pb.CreateSampleRequest(sample=sample))
