"""Liveness stays SERVING while a server drains; readiness goes NOT_SERVING, on the gRPC
port and on the plaintext probe port that the Kubernetes probes use."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared import config as config_module
from shared.channels import aio_channel
from shared.server import LIVENESS_SERVICE, Server
from tests.support.tokens import TEST_AUTH

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def test_liveness_stays_serving_while_readiness_drains(tmp_path: Path):
    config = replace(config_module.load("interpolation"), host="127.0.0.1", port=0,
                     data_dir=tmp_path, grace_period_s=0.5, auth=TEST_AUTH, probe_port=0)
    server = Server(config, [])
    port = await server.start()
    channels = [aio_channel(f"127.0.0.1:{port}"),
                aio_channel(f"127.0.0.1:{server.probe_port}")]
    try:
        async def statuses(name: str) -> list[int]:
            request = health_pb2.HealthCheckRequest(service=name)
            return [(await health_pb2_grpc.HealthStub(channel).Check(request)).status
                    for channel in channels]

        assert await statuses("") == [SERVING, SERVING]
        assert await statuses(LIVENESS_SERVICE) == [SERVING, SERVING]
        # The first half of a graceful stop: what kubelet's probes see while in-flight
        # calls finish.
        assert server._health is not None
        await server._health.enter_graceful_shutdown()
        assert await statuses("") == [NOT_SERVING, NOT_SERVING]
        assert await statuses(LIVENESS_SERVICE) == [SERVING, SERVING]
    finally:
        for channel in channels:
            await channel.close()
        await server.stop(0.1)
