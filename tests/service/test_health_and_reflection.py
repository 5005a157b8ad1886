"""Every service answers the standard health check and lists itself by reflection."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.dataset.app import FULL_NAME, build_server
from tests.support.services import running, test_config


async def _listed_services(channel: grpc.aio.Channel) -> set[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def requests():
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    async for response in stub.ServerReflectionInfo(requests()):
        return {s.name for s in response.list_services_response.service}
    return set()


async def test_dataset_service_health_reflection_and_graceful_stop(db_url, tmp_path: Path):
    async with running(build_server, test_config("dataset", db_url, tmp_path)) as (server, ch):
        health = health_pb2_grpc.HealthStub(ch)
        for name in ("", FULL_NAME):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=name))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        assert FULL_NAME in await _listed_services(ch)
        watcher = health.Watch(health_pb2.HealthCheckRequest(service=FULL_NAME))
        first = await watcher.read()
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        await server.stop(0.5)
        after = await watcher.read()
        assert after.status == health_pb2.HealthCheckResponse.NOT_SERVING
