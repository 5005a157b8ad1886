"""What every benchmark uses: services in their own processes, timing, the JSON line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.auth import mint
from shared.auth_grpc import bearer_channel, bearer_interceptors

ROOT = Path(__file__).resolve().parents[1]

# Services started by a benchmark verify tokens signed with this secret (they inherit it
# from the environment); benchmark clients send a token for BENCH_USER.
BENCH_SECRET = os.environ.setdefault("FRAMEWISE_AUTH_HS256_SECRET",
                                     "framewise-benchmark-secret-0123456789")
BENCH_USER = "bench"
BENCH_TOKEN = mint(BENCH_USER, secret=BENCH_SECRET)


def channel(address: str, **kwargs: Any) -> grpc.aio.Channel:
    """An asyncio channel whose calls carry the benchmark's token."""
    return grpc.aio.insecure_channel(address, interceptors=bearer_interceptors(BENCH_TOKEN),
                                     **kwargs)


def sync_channel(address: str, **kwargs: Any) -> grpc.Channel:
    """A blocking channel whose calls carry the benchmark's token."""
    return bearer_channel(grpc.insecure_channel(address, **kwargs), BENCH_TOKEN)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def service_process(name: str, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """Runs `services.<name>.main` on a free port; yields its address and process."""
    port = free_port()
    full_env = {**os.environ, **env, f"FRAMEWISE_{name.upper()}_PORT": str(port),
                "FRAMEWISE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", f"services.{name}.main"], cwd=ROOT,
                               env=full_env)
    address = f"127.0.0.1:{port}"
    try:
        wait_serving(address)
        yield address, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_serving(address: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                return
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


async def run_concurrently(call: Callable[[int], Awaitable[object]], total: int,
                           concurrency: int) -> tuple[float, np.ndarray]:
    """Runs `total` calls with `concurrency` workers; returns (seconds, latencies in ms)."""
    import asyncio

    latencies = np.zeros(total)
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await call(i)
            latencies[i] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def emit(figures: dict[str, float | int | str]) -> None:
    """The final line every benchmark prints: one JSON object of named figures."""
    print(json.dumps(figures, sort_keys=True))
