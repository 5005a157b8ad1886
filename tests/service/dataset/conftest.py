from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from framewise.dataset.v1 import dataset_pb2_grpc
from services.dataset.app import build_server
from tests.support.services import running, test_config


@pytest.fixture
async def dataset_stub(db_url: str, tmp_path: Path) -> AsyncIterator[
        dataset_pb2_grpc.DatasetServiceStub]:
    async with running(build_server, test_config("dataset", db_url, tmp_path)) as (_, channel):
        yield dataset_pb2_grpc.DatasetServiceStub(channel)
