"""Every call but health and reflection needs a valid bearer token."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from framewise.dataset.v1 import dataset_pb2 as pb
from framewise.dataset.v1 import dataset_pb2_grpc
from services.dataset.app import build_server
from shared.auth import mint
from tests.support.errors import error_reason, expect_error
from tests.support.services import running, test_config
from tests.support.tokens import TEST_SECRET

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED


@pytest.fixture
async def channel(tmp_path: Path):
    config = test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", tmp_path)
    async with running(build_server, config) as (_, channel):
        yield channel


@pytest.mark.parametrize(("authorization", "reason"), [
    ("", "MISSING_TOKEN"),
    ("Basic dXNlcjpwYXNz", "MALFORMED_TOKEN"),
    ("Bearer not-a-jwt", "INVALID_TOKEN"),
    (f"Bearer {mint('alice', secret='another-secret-of-enough-length-000')}", "INVALID_TOKEN"),
    (f"Bearer {mint('alice', secret=TEST_SECRET, ttl_s=-600)}", "EXPIRED_TOKEN"),
    (f"Bearer {mint('alice', secret=TEST_SECRET, audience='other')}", "INVALID_TOKEN"),
])
async def test_calls_without_a_valid_token_are_unauthenticated(channel, authorization, reason):
    stub = dataset_pb2_grpc.DatasetServiceStub(channel)
    error = await expect_error(stub.ListDatasets(pb.ListDatasetsRequest(),
                                                 metadata=(("authorization", authorization),)),
                               UNAUTHENTICATED)
    assert error_reason(error) == reason
    await expect_error(stub.GetDataset(pb.GetDatasetRequest(dataset_id="x"),
                                           metadata=(("authorization", authorization),)),
                       UNAUTHENTICATED)


async def test_the_token_names_the_caller_whatever_other_metadata_says(channel):
    stub = dataset_pb2_grpc.DatasetServiceStub(channel)
    token = mint("carol", secret=TEST_SECRET)
    # x-framewise-user named the caller before tokens; an old client may still send it.
    created = await stub.CreateDataset(pb.CreateDatasetRequest(
        dataset=pb.Dataset(name="mine", task_type=1)),
        metadata=(("authorization", f"Bearer {token}"), ("x-framewise-user", "mallory")))
    assert created.owner == "carol"


async def test_health_and_reflection_need_no_token(tmp_path: Path):
    config = test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", tmp_path)
    async with running(build_server, config) as (server, _):
        bare = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        reply = await health_pb2_grpc.HealthStub(bare).Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await expect_error(dataset_pb2_grpc.DatasetServiceStub(bare).ListDatasets(
            pb.ListDatasetsRequest()), UNAUTHENTICATED)
        await bare.close()
