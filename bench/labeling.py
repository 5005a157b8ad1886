"""Benchmark of label saves over gRPC, against an empty unary RPC on the same server.

Starts the dataset and labeling services as subprocesses on fresh SQLite and PostgreSQL
databases, then with 32 concurrent clients measures:
- baseline: grpc.health.v1 Health/Check on the labeling server (the transport's limit),
- saves: SaveLabel without etag, each client on its own sample,
- rmw: GetLabel + SaveLabel with the etag, retried on ABORTED, clients sharing a few
  samples; every acknowledged increment must be in the final labels (lost_updates).
The baseline and the saves are measured in alternating windows (ROUNDS of each,
DURATION_S in total), so that a change in the machine's other load while the
benchmark runs weighs on both alike instead of on one of them.
Prints figures per database and ends with one JSON line.

    .venv/bin/python bench/labeling.py        (or: make bench-labeling)
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from bench.support import channel as bench_channel  # noqa: E402
from framewise.common.v1 import common_pb2  # noqa: E402
from framewise.dataset.v1 import dataset_pb2 as dpb  # noqa: E402
from framewise.dataset.v1 import dataset_pb2_grpc  # noqa: E402
from framewise.labeling.v1 import labeling_pb2 as pb  # noqa: E402
from framewise.labeling.v1 import labeling_pb2_grpc  # noqa: E402
from tests.support.databases import postgres_database, postgres_reachable  # noqa: E402

CONCURRENCY = 32
DURATION_S = float(os.environ.get("BENCH_DURATION_S", "5"))
RMW_SAMPLES = 4
ROUNDS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _database(kind: str, directory: Path, name: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{name}.db'}"
        return
    async with postgres_database() as url:
        yield url


async def _wait_serving(address: str, process: asyncio.subprocess.Process) -> None:
    async with bench_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(300):
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
async def _service(name: str, env: dict[str, str], address: str) -> AsyncIterator[None]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{name}.main", cwd=ROOT, env={**os.environ, **env})
    try:
        await _wait_serving(address, process)
        yield
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _run_clients(call: Callable[[int], Awaitable[None]],
                       duration_s: float = DURATION_S) -> tuple[int, list[float], float]:
    """Runs `call(client)` in a loop on CONCURRENCY clients for `duration_s`."""
    latencies: list[float] = []
    deadline = time.perf_counter() + duration_s

    async def client(index: int) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await call(index)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CONCURRENCY)))
    return len(latencies), latencies, time.perf_counter() - start


def _figures(count: int, latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "per_s": count / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def _label(sample_id: str, count: int, etag: str = "") -> pb.SaveLabelRequest:
    document = {"format_version": "0.1", "annotations": [
        {"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [30, 40]],
         "attributes": {"count": count}}]}
    return pb.SaveLabelRequest(label=pb.Label(sample_id=sample_id, etag=etag,
                                              attributes_json=json.dumps(document)))


async def _setup(channel: grpc.aio.Channel, samples: int) -> list[str]:
    stub = dataset_pb2_grpc.DatasetServiceStub(channel)
    dataset = await stub.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name="bench", task_type=common_pb2.TASK_TYPE_BBOXES,
        task_attributes=dpb.TaskAttributes(categories=[dpb.Category(id=1, name="car", attributes=[
            dpb.AttributeDefinition(name="count", input_type=dpb.ATTRIBUTE_INPUT_TYPE_NUMBER),
        ])]))))
    created = await stub.BatchCreateSamples(dpb.BatchCreateSamplesRequest(
        dataset_id=dataset.id,
        samples=[dpb.Sample(name=f"s{i}", attributes_json='{"image": {"url": "https://x/i.jpg"}}')
                 for i in range(samples)]))
    return [s.id for s in created.samples]


async def bench_database(kind: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        async with AsyncExitStack() as stack:
            dataset_url = await stack.enter_async_context(_database(kind, Path(directory), "ds"))
            labeling_url = await stack.enter_async_context(
                _database(kind, Path(directory), "labeling"))
            dataset_address = f"127.0.0.1:{_free_port()}"
            labeling_address = f"127.0.0.1:{_free_port()}"
            common = {"FRAMEWISE_DATA_DIR": directory, "FRAMEWISE_LOG_LEVEL": "WARNING",
                      "FRAMEWISE_DATASET_ADDRESS": dataset_address}
            await stack.enter_async_context(_service("dataset", {
                **common, "FRAMEWISE_DATASET_PORT": dataset_address.split(":")[1],
                "FRAMEWISE_DATASET_DATABASE_URL": dataset_url}, dataset_address))
            await stack.enter_async_context(_service("labeling", {
                **common, "FRAMEWISE_LABELING_PORT": labeling_address.split(":")[1],
                "FRAMEWISE_LABELING_DATABASE_URL": labeling_url}, labeling_address))
            dataset_channel = await stack.enter_async_context(
                bench_channel(dataset_address))
            channel = await stack.enter_async_context(bench_channel(labeling_address))
            samples = await _setup(dataset_channel, CONCURRENCY + RMW_SAMPLES)
            return await _measure(channel, samples[:CONCURRENCY], samples[CONCURRENCY:])


async def _measure(channel: grpc.aio.Channel, own: list[str], shared: list[str]) -> dict[str, Any]:
    health = health_pb2_grpc.HealthStub(channel)
    labeling = labeling_pb2_grpc.LabelingServiceStub(channel)
    counters = [0] * CONCURRENCY

    async def empty(_: int) -> None:
        await health.Check(health_pb2.HealthCheckRequest())

    async def save(index: int) -> None:
        counters[index] += 1
        await labeling.SaveLabel(_label(own[index], counters[index]))

    for sample_id in shared:  # the read-modify-write counters start at 0
        await labeling.SaveLabel(_label(sample_id, 0))
    acknowledged = [0] * len(shared)
    retries = 0

    async def read_modify_write(index: int) -> None:
        nonlocal retries
        sample_id = shared[index % len(shared)]
        while True:
            current = await labeling.GetLabel(pb.GetLabelRequest(sample_id=sample_id))
            count = json.loads(current.attributes_json)["annotations"][0]["attributes"]["count"]
            try:
                await labeling.SaveLabel(_label(sample_id, count + 1, current.etag))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED:
                    raise
                retries += 1
                continue
            acknowledged[index % len(shared)] += 1
            return

    await _run_clients(empty)  # warm-up: connections, caches, the servers' code paths
    await _run_clients(save)
    windows: dict[str, tuple[int, list[float], float]] = {"empty": (0, [], 0.0),
                                                           "saves": (0, [], 0.0)}
    for _ in range(ROUNDS):
        for name, call in (("empty", empty), ("saves", save)):
            count, latencies, elapsed = await _run_clients(call, DURATION_S / ROUNDS)
            total = windows[name]
            windows[name] = (total[0] + count, total[1] + latencies, total[2] + elapsed)
    result = {name: _figures(*totals) for name, totals in windows.items()}
    result["rmw"] = _figures(*await _run_clients(read_modify_write))
    lost = 0
    for i, sample_id in enumerate(shared):
        final = await labeling.GetLabel(pb.GetLabelRequest(sample_id=sample_id))
        stored = json.loads(final.attributes_json)["annotations"][0]["attributes"]["count"]
        lost += acknowledged[i] - stored
    result["lost_updates"] = lost
    result["rmw_retries"] = retries
    return result


def _print(kind: str, result: dict[str, Any]) -> None:
    for name in ("empty", "saves", "rmw"):
        figures = result[name]
        print(f"{kind:9s} {name:6s} {figures['per_s']:8.0f}/s  p50 {figures['p50_ms']:6.1f} ms  "
              f"p99 {figures['p99_ms']:6.1f} ms")
    ratio = result["saves"]["per_s"] / result["empty"]["per_s"]
    print(f"{kind:9s} saves vs empty unary: {ratio:.2f}; read-modify-write lost updates: "
          f"{result['lost_updates']} ({result['rmw_retries']} ABORTED retries)")


async def main() -> None:
    print(f"{CONCURRENCY} concurrent clients, {DURATION_S:.0f} s per measurement "
          f"(empty and saves alternating in {ROUNDS} rounds)")
    results = {"sqlite": await bench_database("sqlite")}
    _print("sqlite", results["sqlite"])
    if await postgres_reachable():
        results["postgres"] = await bench_database("postgres")
        _print("postgres", results["postgres"])
    else:
        print("PostgreSQL not reachable: skipped")
    summary: dict[str, Any] = {"concurrency": CONCURRENCY}
    for kind, result in results.items():
        summary[f"saves_per_s_{kind}"] = round(result["saves"]["per_s"], 1)
        summary[f"p50_ms_{kind}"] = round(result["saves"]["p50_ms"], 2)
        summary[f"p99_ms_{kind}"] = round(result["saves"]["p99_ms"], 2)
        summary[f"empty_unary_per_s_{kind}"] = round(result["empty"]["per_s"], 1)
        summary[f"ratio_vs_empty_unary_{kind}"] = round(
            result["saves"]["per_s"] / result["empty"]["per_s"], 3)
        summary[f"rmw_per_s_{kind}"] = round(result["rmw"]["per_s"], 1)
    summary["lost_updates"] = sum(r["lost_updates"] for r in results.values())
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
