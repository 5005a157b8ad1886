"""The four services as subprocesses for the release benchmark, and a peak-RSS probe."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.support import ROOT, free_port
from bench.support import channel as bench_channel

NAMES = ("dataset", "labeling", "interpolation", "release")


async def _wait_serving(address: str, process: asyncio.subprocess.Process) -> None:
    async with bench_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"service on {address} exited with {process.returncode}")
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"service on {address} did not become ready")


@asynccontextmanager
async def suite(directory: Path,
                database_urls: dict[str, str]) -> AsyncIterator[dict[str, tuple[str, int]]]:
    """Starts every service (on SQLite under `directory` unless `database_urls` names
    another database); yields name -> (address, pid)."""
    addresses = {name: f"127.0.0.1:{free_port()}" for name in NAMES}
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(directory), "FRAMEWISE_LOG_LEVEL": "WARNING",
           # Calls here can outlast the default connection age (5 min + 30 s grace).
           "FRAMEWISE_MAX_CONNECTION_AGE_MS": str(24 * 3600 * 1000)}
    for name, address in addresses.items():
        env[f"FRAMEWISE_{name.upper()}_ADDRESS"] = address
        env[f"FRAMEWISE_{name.upper()}_PORT"] = address.rsplit(":", 1)[1]
        env[f"FRAMEWISE_{name.upper()}_METRICS_PORT"] = "0"
        if name in database_urls:
            env[f"FRAMEWISE_{name.upper()}_DATABASE_URL"] = database_urls[name]
    running: dict[str, tuple[str, int]] = {}
    async with AsyncExitStack() as stack:
        for name in NAMES:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{name}.main", cwd=ROOT, env=env)

            async def stop(process: asyncio.subprocess.Process = process) -> None:
                if process.returncode is None:
                    process.terminate()
                    try:
                        await asyncio.wait_for(process.wait(), 15)
                    except TimeoutError:
                        process.kill()
                        await process.wait()

            stack.push_async_callback(stop)
            await _wait_serving(addresses[name], process)
            running[name] = (addresses[name], process.pid)
        yield running


def reset_peak_rss(pid: int) -> bool:
    """Resets the kernel's peak-RSS mark of `pid` (Linux clear_refs 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the highest resident set size since start or the last reset."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """The highest RSS of a process and its children (the release service's frame
    formatting workers) together, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._task: asyncio.Task[None] | None = None

    def _rss_mb(self) -> float:
        import psutil

        try:
            root = psutil.Process(self.pid)
            total = root.memory_info().rss
            for child in root.children(recursive=True):
                with suppress(psutil.Error):
                    total += child.memory_info().rss
        except psutil.Error:
            return 0.0
        return total / 1024 / 1024

    async def _run(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, self._rss_mb())
            await asyncio.sleep(0.02)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        self.peak_mb = max(self.peak_mb, self._rss_mb())
        return self.peak_mb


@asynccontextmanager
async def source_databases() -> AsyncIterator[dict[str, str]]:
    """Fresh PostgreSQL databases for the dataset and labeling services when PostgreSQL
    is reachable (the production store: saves there are group-committed, so seeding
    100,000 labels takes minutes, not tens of minutes); else none (SQLite)."""
    from tests.support.databases import postgres_database, postgres_reachable

    if os.environ.get("BENCH_RELEASE_SQLITE") or not await postgres_reachable():
        yield {}
        return
    async with postgres_database() as dataset_url, postgres_database() as labeling_url:
        yield {"dataset": dataset_url, "labeling": labeling_url}
