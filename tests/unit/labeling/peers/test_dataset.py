"""The dataset client keeps a sample past its TTL only while the dataset service changed
nothing since it was read; a change (a deleted sample here) shows at the next dataset read."""

from __future__ import annotations

import grpc
import pytest

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2
from services.labeling.peers.dataset import DatasetClient
from shared.errors import NotFound
from shared.identity import authenticated
from tests.support.clock import FakeClock

TTL_S = 2.0


class _DatasetService:
    """Answers GetDataset and GetSample like the dataset service; counts the calls."""

    def __init__(self) -> None:
        self.revision = 7
        self.deleted = False
        self.calls: list[str] = []

    async def GetDataset(self, request: dataset_pb2.GetDatasetRequest,
                         **_: object) -> dataset_pb2.Dataset:
        self.calls.append("GetDataset")
        return dataset_pb2.Dataset(id="d", task_type=common_pb2.TASK_TYPE_BBOXES,
                                   revision=self.revision)

    async def GetSample(self, request: dataset_pb2.GetSampleRequest,
                        **_: object) -> dataset_pb2.Sample:
        self.calls.append("GetSample")
        if self.deleted:
            raise grpc.aio.AioRpcError(grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(),
                                       grpc.aio.Metadata(), "no such sample")
        return dataset_pb2.Sample(id=request.sample_id, dataset_id="d")


async def test_a_sample_is_kept_while_nothing_changed_and_refused_after_a_change() -> None:
    service = _DatasetService()
    clock = FakeClock()
    client = DatasetClient(grpc.aio.insecure_channel("127.0.0.1:1"), ttl_s=TTL_S, clock=clock)
    client.stub = service  # type: ignore[assignment]
    with authenticated("alice", "Bearer x"):
        await client.sample("s")
        clock.advance(TTL_S * 0.9)
        await client.sample("s")  # within the TTL: nothing read again
        assert service.calls == ["GetSample", "GetDataset"]
        clock.advance(TTL_S * 0.6)
        await client.sample("s")  # past the TTL: read again, after a dataset read
        assert service.calls.count("GetSample") == 2
        for _ in range(3):
            clock.advance(TTL_S * 1.5)
            sample, dataset = await client.sample("s")
            assert sample.id == "s" and dataset.revision == 7
        assert service.calls.count("GetSample") == 2  # the dataset's revision vouched
        service.deleted, service.revision = True, 8
        clock.advance(TTL_S * 1.5)
        with pytest.raises(NotFound):
            await client.sample("s")
