"""Every service-to-service call has a deadline, also one whose code names none: a peer
that accepts the call and never answers fails it instead of holding it forever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from shared import channels
from tests.support.services import test_config

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
