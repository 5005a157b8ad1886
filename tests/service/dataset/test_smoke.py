import json

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb


async def test_create_and_get(dataset_stub):
    ds = await dataset_stub.CreateDataset(pb.CreateDatasetRequest(dataset=pb.Dataset(
        name="cars", task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
        task_attributes=pb.TaskAttributes(categories=[pb.Category(id=1, name="car")]))))
    assert ds.id
    s = await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=ds.id, name="seq1", attributes_json=json.dumps({"frames": [
            {"image": {"url": "a.jpg"}, "timestamp": 1}, {"image": {"url": "b.jpg"}, "timestamp": 2}]}))))
    assert s.frame_count == 2
    got = await dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=ds.id))
    assert got.sample_count == 1
