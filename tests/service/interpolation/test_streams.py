"""Hostile clients on StreamFrameStates, over real gRPC: open streams are limited per caller
and per server (RESOURCE_EXHAUSTED with RetryInfo, places freed when streams end), and an
unread stream makes the server compute only a bounded number of bytes ahead."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from prometheus_client import REGISTRY

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from services.interpolation.app import build_server
from services.interpolation.service.streams import ENGINE_BLOCK_BYTES
from shared.limits import MAX_STREAM_AHEAD_BYTES, STREAM_RETRY_DELAY_S
from shared.server import Server
from tests.support.errors import error_reason, expect_error
from tests.support.services import running, test_config
from tests.support.tokens import as_user, test_interceptors

Stub = interpolation_pb2_grpc.InterpolationServiceStub
PER_CALLER, TOTAL = 2, 3
# A long sequence: computed whole it would be about 40 GB of messages.
FRAMES, TRACKS = 10_000_000, 100


def _long_request() -> pb.StreamFrameStatesRequest:
    return pb.StreamFrameStatesRequest(inline=pb.InlineTracks(frame_count=FRAMES, tracks=[
        pb.Track(track_id=i, geometry_type=common_pb2.GEOMETRY_TYPE_BBOX, keyframes=[
            pb.Keyframe(frame=0, coordinates=[i, 0, i + 10, 10]),
            pb.Keyframe(frame=FRAMES - 1, coordinates=[i + 100, 50, i + 120, 70])])
        for i in range(TRACKS)]))


REQUEST = _long_request()


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[tuple[Server, Stub]]:
    """The interpolation service with small stream limits: 2 per caller, 3 in all."""
    config = test_config("interpolation", "sqlite+aiosqlite:///unused", tmp_path,
                         peers={"labeling": "127.0.0.1:1", "dataset": "127.0.0.1:1"})
    config = replace(config, max_streams_per_caller=PER_CALLER, max_streams=TOTAL)
    async with running(build_server, config) as (server, channel):
        yield server, Stub(channel)


def _as(user: str) -> tuple[tuple[str, str]]:
    return as_user(user)


async def _open(stub: Stub, user: str) -> Any:
    """A stream of `user`, its first message read (so the server counts it), then unread."""
    call = stub.StreamFrameStates(REQUEST, metadata=_as(user))
    first = await call.read()
    assert first.frames
    return call


async def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    """Polls `condition` on the event loop until it holds (the server runs on this loop)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def _retry_delay_s(error: grpc.aio.AioRpcError) -> float | None:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info.retry_delay.ToNanoseconds() / 1e9
    return None


async def _refused(stub: Stub, user: str, limit_words: str) -> None:
    call = stub.StreamFrameStates(REQUEST, metadata=_as(user))
    error = await expect_error(call.read(), grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert error_reason(error) == "TOO_MANY_STREAMS"
    assert limit_words in (error.details() or ""), error.details()
    assert _retry_delay_s(error) == STREAM_RETRY_DELAY_S


async def test_streams_past_the_limits_are_refused_until_earlier_ones_end(limited):
    server, stub = limited
    limiter = server.stream_limiter
    assert limiter is not None
    alice = [await _open(stub, "alice") for _ in range(PER_CALLER)]
    # One more of alice's is past her own limit, with a delay to retry after ...
    await _refused(stub, "alice", f"at most {PER_CALLER} per caller")
    # ... while another caller is still served, up to the server's limit ...
    bob = await _open(stub, "bob")
    assert limiter.open == TOTAL
    # ... past which every caller is refused, whoever they are.
    await _refused(stub, "carol", f"maximum of {TOTAL} streams")
    # Cancelled streams free their places: alice is served again (and so would carol be).
    for call in alice:
        call.cancel()
    await _wait_for(lambda: limiter.open_for("alice") == 0, "alice's streams to end")
    again = await _open(stub, "alice")
    carol = await _open(stub, "carol")
    for call in (bob, again, carol):
        call.cancel()
    await _wait_for(lambda: limiter.open == 0, "every stream to end")


def _counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_an_unread_stream_computes_a_bounded_number_of_bytes_ahead(limited):
    server, _ = limited
    encoded = "framewise_interpolation_encoded_bytes_total"
    stalls = "framewise_interpolation_stream_stalls_total"
    encoded_before, stalls_before = _counter(encoded), _counter(stalls)
    # A client with a fixed flow-control window (no BDP probing, which would grow it to
    # many MB): what gRPC may send ahead of the reader is then small and known.
    window_bytes = 1 << 20
    channel = grpc.aio.insecure_channel(
        f"127.0.0.1:{server.port}", interceptors=test_interceptors(),
        options=[("grpc.http2.bdp_probe", 0), ("grpc.max_receive_message_length", 64 << 20)])
    async with channel:
        call = Stub(channel).StreamFrameStates(REQUEST, metadata=_as("dave"))
        first = await call.read()
        read = first.ByteSize()
        # The producer has stopped for its budget at least once: it ran as far ahead as
        # it may (it could not have stopped otherwise).
        await _wait_for(lambda: _counter(stalls) > stalls_before, "the stream to stall")
        ahead = _counter(encoded) - encoded_before - read
        # Computed ahead of the reader: the budget, one block (2 MiB of states x the widest
        # state bounds its bytes), what gRPC has taken and the window lets through.
        bound = MAX_STREAM_AHEAD_BYTES + ENGINE_BLOCK_BYTES + 2 * window_bytes
        assert 0 < ahead <= bound, f"{ahead} bytes computed ahead of the reader, bound {bound}"
        call.cancel()
    await _wait_for(lambda: server.stream_limiter is not None and server.stream_limiter.open == 0,
                    "the stream to end")


async def test_an_interpolation_mode_outside_the_contract_is_invalid(interpolation_stub):
    request = pb.GetFrameStateRequest(inline=pb.InlineTracks(
        frame_count=2, options=pb.InterpolationOptions(mode=99), tracks=[
            pb.Track(track_id=1, geometry_type=common_pb2.GEOMETRY_TYPE_BBOX, keyframes=[
                pb.Keyframe(frame=0, coordinates=[0, 0, 1, 1])])]))
    await expect_error(interpolation_stub.GetFrameState(request),
                       grpc.StatusCode.INVALID_ARGUMENT, "inline.options.mode")
