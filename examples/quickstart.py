"""Quickstart: create a dataset and add a sequence sample, against a running suite.

    .venv/bin/python examples/quickstart.py            # the suite of `make run`
    FRAMEWISE_DATASET_ADDRESS=host:port FRAMEWISE_TOKEN=... .venv/bin/python examples/quickstart.py
"""

from __future__ import annotations

import json
import uuid

from framewise.client.config import ClientConfig
from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from framewise.dataset.v1 import dataset_pb2_grpc


def main() -> None:
    # Addresses and the bearer token from FRAMEWISE_* (or the development token of `make run`).
    config = ClientConfig.from_env()
    with config.channel("dataset") as channel:
        datasets = dataset_pb2_grpc.DatasetServiceStub(channel)
        auth = config.metadata()
        dataset = datasets.CreateDataset(pb.CreateDatasetRequest(
            dataset=pb.Dataset(
                name=f"street-{uuid.uuid4().hex[:6]}",
                task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
                task_attributes=pb.TaskAttributes(categories=[
                    pb.Category(id=1, name="car", color="#e6194b"),
                    pb.Category(id=2, name="pedestrian", color="#3cb44b"),
                ]),
            ),
            request_id=str(uuid.uuid4()),
        ), metadata=auth, timeout=10)
        frames = [{"image": {"url": f"https://example.com/drive/{i:04d}.jpg"},
                   "name": f"{i:04d}", "timestamp": i * 0.1} for i in range(50)]
        sample = datasets.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
            dataset_id=dataset.id, name="drive-0001",
            attributes_json=json.dumps({"frames": frames}),
            metadata_json=json.dumps({"city": "Berlin"}),
        )), metadata=auth, timeout=10)
        print(f"dataset {dataset.name} ({dataset.id}) owned by {dataset.owner}")
        print(f"sample {sample.name} ({sample.id}) with {sample.frame_count} frames")


if __name__ == "__main__":
    main()
