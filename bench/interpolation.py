"""Interpolation speed: the engine alone, then end to end over gRPC, then memory.

- engine: states/s for bbox, polygon and cuboid tracks (bench/interpolation_engine.py),
  each against the scalar reference in the same run;
- e2e: StreamFrameStates over loopback, 1,000 bbox tracks x 1,000 frames, every message
  parsed and its states counted by a Python client, against the obvious server (one
  protobuf object per state, bench/interpolation_baseline.py) in the same run;
- memory: the server's peak RSS while streaming 1,000 tracks x 100,000 frames to a
  client that reads as fast as it can.

    make bench-interpolation
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

import grpc
import psutil

from bench.interpolation_engine import bbox_tracks, run_engine_bench
from bench.support import ROOT, emit, free_port, service_process, sync_channel
from bench.support import channel as bench_channel
from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from services.interpolation.domain import Track

E2E_TRACKS, E2E_FRAMES, KEYFRAMES = 1_000, 1_000, 10
LONG_TRACKS, LONG_FRAMES = 1_000, 100_000
METHOD = "/framewise.interpolation.v1.InterpolationService/StreamFrameStates"
OPTIONS = [("grpc.max_receive_message_length", 64 << 20)]


def to_proto(tracks: list[Track], frame_count: int) -> pb.InlineTracks:
    return pb.InlineTracks(frame_count=frame_count, tracks=[
        pb.Track(track_id=t.track_id, category_id=t.category_id,
                 geometry_type=common_pb2.GEOMETRY_TYPE_BBOX, keyframes=[
                     pb.Keyframe(frame=k.frame, coordinates=k.coords.reshape(-1).tolist())
                     for k in t.keyframes])
        for t in tracks])


async def count_states(address: str, request: pb.StreamFrameStatesRequest) -> tuple[int, float]:
    """Streams, parses every message and counts the states; returns (states, seconds)."""
    async with bench_channel(address, options=OPTIONS) as channel:
        stub = interpolation_pb2_grpc.InterpolationServiceStub(channel)
        await channel.channel_ready()
        started = time.perf_counter()
        states = 0
        async for response in stub.StreamFrameStates(request):
            for frame in response.frames:
                states += len(frame.objects)
        return states, time.perf_counter() - started


def expected_states(request: pb.StreamFrameStatesRequest) -> int:
    """Each track is present from its first keyframe on (no remove-keyframes here)."""
    frames = request.inline.frame_count
    return sum(frames - min(k.frame for k in t.keyframes) for t in request.inline.tracks)


def best_rate(address: str, request: pb.StreamFrameStatesRequest, repeats: int = 3) -> float:
    rates = []
    for _ in range(repeats):
        states, seconds = asyncio.run(count_states(address, request))
        assert states == expected_states(request), states
        rates.append(states / seconds)
    return max(rates)


def drain_raw(address: str, request: pb.StreamFrameStatesRequest) -> tuple[int, float]:
    """Reads the long stream as raw bytes (no parsing): the client keeps up with the server."""
    with sync_channel(address, options=OPTIONS) as channel:
        call = channel.unary_stream(METHOD, request_serializer=pb.StreamFrameStatesRequest
                                    .SerializeToString)
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in call(request))
        return size, time.perf_counter() - started


def peak_rss_while(process: psutil.Process, work) -> tuple[float, object]:
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = work()
    finally:
        done.set()
        sampler.join()
    return peak / 2**20, result


def main() -> None:
    figures: dict[str, float] = dict(run_engine_bench())
    request = pb.StreamFrameStatesRequest(
        inline=to_proto(bbox_tracks(E2E_TRACKS, E2E_FRAMES, KEYFRAMES), E2E_FRAMES))
    env = {"FRAMEWISE_DATA_DIR": os.environ.get("TMPDIR", "/tmp")}
    with service_process("interpolation", env) as (address, process):
        figures["e2e_bbox_states_per_s"] = best_rate(address, request)
        long_request = pb.StreamFrameStatesRequest(
            inline=to_proto(bbox_tracks(LONG_TRACKS, LONG_FRAMES, KEYFRAMES), LONG_FRAMES))
        rss_mb, (size, seconds) = peak_rss_while(
            psutil.Process(process.pid), lambda: drain_raw(address, long_request))
        figures["stream_peak_rss_mb"] = rss_mb
        figures["stream_long_states_per_s"] = LONG_TRACKS * LONG_FRAMES / seconds
        figures["stream_long_mb"] = size / 2**20
    port = free_port()
    baseline = subprocess.Popen([sys.executable, "-m", "bench.interpolation_baseline",
                                 str(port)], cwd=ROOT)
    try:
        wait_serving_raw(f"127.0.0.1:{port}")
        figures["e2e_per_object_baseline_states_per_s"] = best_rate(
            f"127.0.0.1:{port}", request, repeats=1)
    finally:
        baseline.terminate()
        baseline.wait(timeout=30)
    figures["e2e_speedup_vs_per_object"] = (
        figures["e2e_bbox_states_per_s"] / figures["e2e_per_object_baseline_states_per_s"])
    print(f"e2e StreamFrameStates  {figures['e2e_bbox_states_per_s'] / 1e6:8.2f} M states/s"
          f"  = {figures['e2e_speedup_vs_per_object']:.1f} x the per-object server"
          f" ({figures['e2e_per_object_baseline_states_per_s'] / 1e6:.2f} M states/s)")
    print(f"long stream {LONG_TRACKS} x {LONG_FRAMES}: server peak RSS "
          f"{figures['stream_peak_rss_mb']:.0f} MB, "
          f"{figures['stream_long_states_per_s'] / 1e6:.2f} M states/s, "
          f"{figures['stream_long_mb']:.0f} MB sent")
    emit({k: round(v, 3) for k, v in figures.items()})


def wait_serving_raw(address: str, timeout_s: float = 30) -> None:
    """The baseline server has no health service: wait for its port."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=max(0.1, deadline - time.monotonic()))


if __name__ == "__main__":
    main()
