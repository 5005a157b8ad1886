"""Hostile clients against one interpolation and one dataset server (real processes, loopback).

- 200 StreamFrameStates streams (100 bbox tracks x 10,000,000 frames each) opened by 20
  users, 10 each, one message read from each and then none: the per-caller limit refuses
  the 9th and 10th of the first users, the server limit every stream past the 32nd;
- meanwhile 1,000 concurrent unary callers (GetFrameState on the interpolation service,
  ListDatasets on the dataset service), from their own process;
- a well-behaved client (one unary call after another, alternating the two services)
  measured alone, then meanwhile.

Prints each server's peak RSS over its idle RSS, the RSS once the streams ended, the
well-behaved client's p99 meanwhile against alone, the refused streams, and a JSON line.
Runs in about a minute.

    make bench-abuse
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import grpc
import numpy as np
import psutil
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from bench.support import BENCH_SECRET, ROOT, emit, free_port, service_process
from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2, dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from shared.auth import mint
from shared.auth_grpc import bearer_interceptors

USERS, STREAMS_PER_USER = 20, 10
UNARY_CALLERS = 1000
STREAM_FRAMES, STREAM_TRACKS = 10_000_000, 100
ALONE_S, ABUSE_S = 6.0, 12.0
OPTIONS = [("grpc.max_receive_message_length", 64 << 20)]


def _tracks(count: int, frames: int) -> list[pb.Track]:
    return [pb.Track(track_id=i, category_id=1, geometry_type=common_pb2.GEOMETRY_TYPE_BBOX,
                     keyframes=[pb.Keyframe(frame=0, coordinates=[i, 0, i + 10, 10]),
                                pb.Keyframe(frame=frames - 1,
                                            coordinates=[i + 100, 50, i + 120, 70])])
            for i in range(count)]


STREAM = pb.StreamFrameStatesRequest(inline=pb.InlineTracks(
    frame_count=STREAM_FRAMES, tracks=_tracks(STREAM_TRACKS, STREAM_FRAMES)))
FRAME = pb.GetFrameStateRequest(frame=50, inline=pb.InlineTracks(
    frame_count=100, tracks=_tracks(10, 100)))


def user_channel(address: str, user: str) -> grpc.aio.Channel:
    token = mint(user, secret=BENCH_SECRET)
    return grpc.aio.insecure_channel(address, options=OPTIONS,
                                     interceptors=bearer_interceptors(token))


def _limit(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.metadata.get("limit", info.reason)
    return error.code().name


# --- the hostile process ---------------------------------------------------------------

async def hostile(interpolation: str, dataset: str) -> None:
    """Opens the streams, reports, floods unary calls for ABUSE_S, reports, cancels all."""
    channels = {user: (user_channel(interpolation, user), user_channel(dataset, user))
                for user in (f"user-{u}" for u in range(USERS))}
    outcomes: Counter[str] = Counter()
    calls = []
    for channel, _ in channels.values():
        stub = interpolation_pb2_grpc.InterpolationServiceStub(channel)
        for _ in range(STREAMS_PER_USER):
            call = stub.StreamFrameStates(STREAM)
            try:
                await call.read()
                outcomes["opened"] += 1
                calls.append(call)  # never read again
            except grpc.aio.AioRpcError as exc:
                outcomes[f"refused {_limit(exc)}"] += 1
    print("STREAMS", " ".join(f"{k.replace(' ', '_')}={v}" for k, v in outcomes.items()),
          flush=True)

    users = list(channels.values())
    done = 0
    errors: Counter[str] = Counter()
    stop = time.monotonic() + ABUSE_S

    async def caller(i: int) -> None:
        nonlocal done
        interp, data = users[i % len(users)]
        frame_stub = interpolation_pb2_grpc.InterpolationServiceStub(interp)
        dataset_stub = dataset_pb2_grpc.DatasetServiceStub(data)
        while time.monotonic() < stop:
            try:
                if i % 2:
                    await frame_stub.GetFrameState(FRAME, timeout=30)
                else:
                    await dataset_stub.ListDatasets(dataset_pb2.ListDatasetsRequest(),
                                                    timeout=30)
                done += 1
            except grpc.aio.AioRpcError as exc:
                errors[exc.code().name] += 1

    await asyncio.gather(*(caller(i) for i in range(UNARY_CALLERS)))
    print("UNARY", f"calls={done}", " ".join(f"{k}={v}" for k, v in errors.items()),
          flush=True)
    for call in calls:
        call.cancel()
    for interp, data in channels.values():
        await interp.close()
        await data.close()


# --- the measuring process -------------------------------------------------------------

async def well_behaved(interpolation: str, dataset: str, seconds: float) -> np.ndarray:
    """One call after another for `seconds`, alternating the services; latencies in ms."""
    latencies = []
    async with user_channel(interpolation, "well-behaved") as interp, \
            user_channel(dataset, "well-behaved") as data:
        frame_stub = interpolation_pb2_grpc.InterpolationServiceStub(interp)
        dataset_stub = dataset_pb2_grpc.DatasetServiceStub(data)
        await frame_stub.GetFrameState(FRAME)
        await dataset_stub.ListDatasets(dataset_pb2.ListDatasetsRequest())
        stop = time.monotonic() + seconds
        i = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            if i % 2:
                await frame_stub.GetFrameState(FRAME, timeout=60)
            else:
                await dataset_stub.ListDatasets(dataset_pb2.ListDatasetsRequest(), timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)
            i += 1
    return np.array(latencies)


class PeakRss:
    """Samples the RSS of processes every 20 ms on a thread; the peak of each, in MB."""

    def __init__(self, processes: dict[str, psutil.Process]) -> None:
        self.processes = processes
        self.peak = {name: 0.0 for name in processes}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            for name, process in self.processes.items():
                self.peak[name] = max(self.peak[name], rss_mb(process))
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def open_streams(metrics_port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("framewise_streams_open "):
                return float(line.split()[1])
    return 0.0


@contextmanager
def servers(data_dir: str) -> Iterator[dict[str, Any]]:
    env = {"FRAMEWISE_DATA_DIR": data_dir}
    with ExitStack() as stack:
        found: dict[str, Any] = {}
        for name in ("interpolation", "dataset"):
            metrics = free_port()
            address, process = stack.enter_context(service_process(
                name, {**env, f"FRAMEWISE_{name.upper()}_METRICS_PORT": str(metrics)}))
            found[name] = (address, psutil.Process(process.pid), metrics)
        yield found


def _p99(latencies: np.ndarray) -> float:
    return float(np.percentile(latencies, 99))


def _parse(line: str) -> dict[str, int]:
    return {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, servers(data_dir) as found:
        interpolation, interp_process, metrics = found["interpolation"]
        dataset, dataset_process, _ = found["dataset"]
        processes = {"interpolation": interp_process, "dataset": dataset_process}
        alone = asyncio.run(well_behaved(interpolation, dataset, ALONE_S))
        idle = {name: rss_mb(p) for name, p in processes.items()}
        with PeakRss(processes) as peak:
            attacker = subprocess.Popen(
                [sys.executable, "-m", "bench.abuse", "--hostile", interpolation, dataset],
                cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ)
            assert attacker.stdout is not None
            streams = _parse(attacker.stdout.readline())
            meanwhile = asyncio.run(well_behaved(interpolation, dataset, ABUSE_S))
            unary = _parse(attacker.stdout.readline())
            attacker.wait(timeout=120)
        # Every stream ended (the server says so), then the trim after streams (0.5 s).
        deadline = time.monotonic() + 30
        while open_streams(metrics) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)
        after = {name: rss_mb(p) for name, p in processes.items()}

    figures: dict[str, float | int | str] = {
        "idle_rss_mb": round(idle["interpolation"], 1),
        "peak_rss_over_idle_mb": round(peak.peak["interpolation"] - idle["interpolation"], 1),
        "rss_after_over_idle_mb": round(after["interpolation"] - idle["interpolation"], 1),
        "dataset_peak_rss_over_idle_mb": round(peak.peak["dataset"] - idle["dataset"], 1),
        "dataset_rss_after_over_idle_mb": round(after["dataset"] - idle["dataset"], 1),
        "well_behaved_p99_alone_ms": round(_p99(alone), 2),
        "well_behaved_p99_meanwhile_ms": round(_p99(meanwhile), 2),
        "well_behaved_p99_ratio": round(_p99(meanwhile) / _p99(alone), 2),
        "well_behaved_calls_meanwhile": int(meanwhile.size),
        "streams_attempted": USERS * STREAMS_PER_USER,
        "streams_opened": streams.get("opened", 0),
        "streams_refused_per_caller": streams.get("refused_MAX_STREAMS_PER_CALLER", 0),
        "streams_refused_server": streams.get("refused_MAX_STREAMS", 0),
        "unary_callers": UNARY_CALLERS,
        "unary_calls": unary.get("calls", 0),
        "unary_errors": sum(v for k, v in unary.items() if k != "calls"),
    }
    print(f"streams: {figures['streams_attempted']} asked by {USERS} users, "
          f"{figures['streams_opened']} open and unread, refused "
          f"{figures['streams_refused_per_caller']} per caller + "
          f"{figures['streams_refused_server']} server-wide")
    print(f"interpolation RSS: idle {idle['interpolation']:.0f} MB, peak "
          f"+{figures['peak_rss_over_idle_mb']} MB, after the streams ended "
          f"+{figures['rss_after_over_idle_mb']} MB")
    print(f"dataset RSS: idle {idle['dataset']:.0f} MB, peak "
          f"+{figures['dataset_peak_rss_over_idle_mb']} MB, after "
          f"+{figures['dataset_rss_after_over_idle_mb']} MB")
    print(f"{UNARY_CALLERS} unary callers: {figures['unary_calls']} calls in {ABUSE_S:.0f} s, "
          f"{figures['unary_errors']} errors")
    print(f"well-behaved client p99: {figures['well_behaved_p99_meanwhile_ms']} ms meanwhile "
          f"vs {figures['well_behaved_p99_alone_ms']} ms alone = "
          f"{figures['well_behaved_p99_ratio']} x")
    emit(figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hostile"]:
        asyncio.run(hostile(sys.argv[2], sys.argv[3]))
    else:
        main()
