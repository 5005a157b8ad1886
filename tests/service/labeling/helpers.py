"""Datasets, samples and labels for the labeling service tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as pb
from framewise.labeling.v1 import labeling_pb2_grpc

MANAGERS = ("alice", "bob", "boss", "carol", "zoe", "dave", "erin", "model", "rita",
            *(f"user{i}" for i in range(8)))


def as_user(name: str) -> tuple[tuple[str, str], ...]:
    return (("x-test-user", name),)


@dataclass
class Stack:
    dataset: dataset_pb2_grpc.DatasetServiceStub
    labeling: labeling_pb2_grpc.LabelingServiceStub

    async def create_dataset(self, task_type: int = common_pb2.TASK_TYPE_VECTOR,
                             name: str = "ds", **task_attributes: Any) -> dpb.Dataset:
        attributes = task_attributes.pop("task_attributes", None) or default_task_attributes()
        dataset = await self.dataset.CreateDataset(dpb.CreateDatasetRequest(
            dataset=dpb.Dataset(name=name, task_type=task_type, task_attributes=attributes)))
        # The users these tests act as manage the dataset: the label mechanics are under
        # test here; the rules of each role are in test_access.py.
        for user in MANAGERS:
            await self.dataset.AddCollaborator(dpb.AddCollaboratorRequest(
                collaborator=dpb.Collaborator(dataset_id=dataset.id, user=user,
                                              role=dpb.ROLE_MANAGER)))
        return dataset

    async def create_samples(self, dataset: dpb.Dataset, count: int = 1, *, frames: int = 0,
                             priorities: list[int] | None = None) -> list[dpb.Sample]:
        samples = []
        for i in range(count):
            if frames:
                attributes: dict[str, Any] = {"frames": [
                    {"image": {"url": f"https://x/{i}/{f}.jpg"}, "timestamp": f}
                    for f in range(frames)]}
            else:
                attributes = {"image": {"url": f"https://x/{i}.jpg"}}
            samples.append(dpb.Sample(name=f"s{i}", attributes_json=json.dumps(attributes),
                                      priority=(priorities or [0] * count)[i]))
        response = await self.dataset.BatchCreateSamples(
            dpb.BatchCreateSamplesRequest(dataset_id=dataset.id, samples=samples))
        return list(response.samples)

    async def save(self, sample_id: str, document: dict[str, Any], *, etag: str = "",
                   user: str = "alice", label_set: str = "", **fields: Any) -> pb.Label:
        label = pb.Label(sample_id=sample_id, label_set=label_set,
                         attributes_json=json.dumps(document), etag=etag, **fields)
        return await self.labeling.SaveLabel(pb.SaveLabelRequest(label=label),
                                             metadata=as_user(user))


def default_task_attributes() -> dpb.TaskAttributes:
    return dpb.TaskAttributes(
        categories=[
            dpb.Category(id=1, name="car", attributes=[
                dpb.AttributeDefinition(name="color", values=["red", "blue"],
                                        input_type=dpb.ATTRIBUTE_INPUT_TYPE_SELECT),
                dpb.AttributeDefinition(name="occluded",
                                        input_type=dpb.ATTRIBUTE_INPUT_TYPE_CHECKBOX),
                dpb.AttributeDefinition(name="count", min=0,
                                        input_type=dpb.ATTRIBUTE_INPUT_TYPE_NUMBER),
            ]),
            dpb.Category(id=2, name="person", attributes=[
                dpb.AttributeDefinition(name="pose", values=["standing", "sitting"],
                                        is_mandatory=True,
                                        input_type=dpb.ATTRIBUTE_INPUT_TYPE_SELECT),
            ]),
        ],
    )


def bbox(annotation_id: int = 1, category_id: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": annotation_id, "category_id": category_id, "type": "bbox",
            "points": [[1, 2], [30, 40]], **extra}


def vector_label(*annotations: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": "0.1", "annotations": list(annotations or [bbox()])}


def counter_label(count: int) -> dict[str, Any]:
    """A label whose bbox's attribute 'count' is a counter, for read-modify-write tests."""
    return vector_label(bbox(attributes={"count": count}))


def count_of(label: pb.Label) -> int:
    return int(json.loads(label.attributes_json)["annotations"][0]["attributes"]["count"])
