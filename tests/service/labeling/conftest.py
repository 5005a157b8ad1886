"""A running dataset service and a labeling service pointed at it, on the same kind of DB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.labeling.v1 import labeling_pb2_grpc
from services.dataset.app import build_server as build_dataset
from services.labeling.app import build_server as build_labeling
from tests.service.labeling.helpers import Stack
from tests.support.databases import database_url
from tests.support.services import running, test_config


@pytest.fixture
async def stack(db_kind: str, db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with (
        database_url(db_kind, tmp_path, "dataset") as dataset_url,
        running(build_dataset, test_config("dataset", dataset_url, tmp_path)) as (
            dataset_server, dataset_channel),
    ):
        config = test_config("labeling", db_url, tmp_path,
                             peers={"dataset": f"127.0.0.1:{dataset_server.port}"})
        async with running(build_labeling, config) as (_, channel):
            yield Stack(dataset_pb2_grpc.DatasetServiceStub(dataset_channel),
                        labeling_pb2_grpc.LabelingServiceStub(channel))
