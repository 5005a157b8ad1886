"""Calls between services: every one has a deadline, also one whose code names none (a
peer that accepts the call and never answers fails it instead of holding it forever),
and a dependency that is down is retried by the service nearest to it, not again by
every caller up the chain."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from framewise.connection import SERVICE_CONFIG
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from services.labeling.app import build_server as build_labeling
from shared import channels
from tests.support.services import running, test_config

UNARY = "/framewise.test.v1.Wedged/Unary"
STREAM = "/framewise.test.v1.Wedged/Stream"


async def _never_answers(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await asyncio.Event().wait()
    return b""


async def _never_streams(request: bytes,
                         context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    await asyncio.Event().wait()
    yield b""


async def test_a_peer_call_without_a_deadline_gets_the_default_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "framewise.test.v1.Wedged", {
            "Unary": grpc.unary_unary_rpc_method_handler(_never_answers),
            "Stream": grpc.unary_stream_rpc_method_handler(_never_streams),
        }),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    monkeypatch.setattr(channels, "DEFAULT_DEADLINE_S", 0.5)
    config = test_config("labeling", "sqlite+aiosqlite:///unused.db", tmp_path,
                         {"dataset": f"127.0.0.1:{port}"})
    channel = channels.channel_to(config, "dataset")
    try:
        unary = channel.unary_unary(UNARY)
        stream = channel.unary_stream(STREAM)
        for call in (unary(b""), _drain(stream(b""))):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await asyncio.wait_for(call, 30)  # the test's own guard against a hang
            assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        # A deadline the call names is its own (here shorter than the default).
        monkeypatch.setattr(channels, "DEFAULT_DEADLINE_S", 3600.0)
        patient = channels.channel_to(config, "dataset")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await asyncio.wait_for(patient.unary_unary(UNARY)(b"", timeout=0.3), 30)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await patient.close()
    finally:
        await channel.close()
        await server.stop(0)


async def _drain(call: grpc.aio.UnaryStreamCall) -> None:
    async for _ in call:
        pass


async def test_a_dead_dependency_is_retried_by_one_service_not_by_every_caller(
        tmp_path: Path):
    """The labeling service retries its unreachable dataset service (the channel's retry
    policy); its UNAVAILABLE answer tells our channel, which has the same policy, not to
    retry it again, so the dependency sees one round of attempts, not one per caller's."""
    attempts = 0

    async def unavailable(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        nonlocal attempts
        attempts += 1
        await context.abort(grpc.StatusCode.UNAVAILABLE, "down for maintenance")
        return b""

    dataset = grpc.aio.server()
    dataset.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "framewise.dataset.v1.DatasetService",
        {"GetSample": grpc.unary_unary_rpc_method_handler(unavailable)}),))
    port = dataset.add_insecure_port("127.0.0.1:0")
    await dataset.start()
    config = test_config("labeling", f"sqlite+aiosqlite:///{tmp_path / 'labeling.db'}",
                         tmp_path, {"dataset": f"127.0.0.1:{port}"})
    try:
        async with running(build_labeling, config) as (_, channel):
            labels = labeling_pb2_grpc.LabelingServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await labels.GetLabel(lpb.GetLabelRequest(sample_id="s1"), timeout=30)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        max_attempts = json.loads(SERVICE_CONFIG)["methodConfig"][0][
            "retryPolicy"]["maxAttempts"]
        assert 1 < attempts <= max_attempts  # retried, once over: not max_attempts squared
    finally:
        await dataset.stop(0)
