from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from framewise.interpolation.v1 import interpolation_pb2_grpc
from services.interpolation.app import build_server
from tests.support.services import running, test_config


@pytest.fixture
async def interpolation_stub(tmp_path: Path) -> AsyncIterator[
        interpolation_pb2_grpc.InterpolationServiceStub]:
    """The interpolation service alone (inline requests need no peers or database)."""
    config = test_config("interpolation", "sqlite+aiosqlite:///unused", tmp_path,
                         peers={"labeling": "127.0.0.1:1", "dataset": "127.0.0.1:1"})
    async with running(build_server, config) as (_, channel):
        yield interpolation_pb2_grpc.InterpolationServiceStub(channel)
