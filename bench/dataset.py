"""Dataset service throughput, as ratios against baselines measured in the same run.

- GetSample calls/s at concurrency 32, against an empty unary RPC (health Check) on the
  same server: the transport's limit.
- BatchCreateSamples (1,000 image samples per call) samples/s, against inserting the
  same rows with sqlite3 executemany directly: the storage's limit.
- ListSamples paging samples/s through the whole dataset.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.support import channel as bench_channel
from bench.support import emit, run_concurrently, service_process
from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from framewise.dataset.v1 import dataset_pb2_grpc

CONCURRENCY = 32
CALLS = 3000
BATCHES = 10
BATCH = 1000


def _samples(batch: int) -> list[pb.Sample]:
    return [pb.Sample(name=f"img-{batch}-{i}",
                      attributes_json=json.dumps({"image": {"url": f"s3://b/{batch}/{i}.jpg"}}),
                      metadata_json='{"camera": "front"}')
            for i in range(BATCH)]


def _sqlite_baseline(path: Path) -> float:
    rows = [(f"id-{b}-{i}", f"img-{b}-{i}", json.dumps({"image": {"url": f"s3://b/{b}/{i}"}}))
            for b in range(BATCHES) for i in range(BATCH)]
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE s (id TEXT PRIMARY KEY, name TEXT, attributes TEXT)")
    started = time.perf_counter()
    for b in range(BATCHES):
        with connection:
            connection.executemany("INSERT INTO s VALUES (?, ?, ?)",
                                   rows[b * BATCH:(b + 1) * BATCH])
    elapsed = time.perf_counter() - started
    connection.close()
    return len(rows) / elapsed


async def _measure(address: str) -> dict[str, float]:
    async with bench_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        datasets = dataset_pb2_grpc.DatasetServiceStub(channel)
        dataset = await datasets.CreateDataset(pb.CreateDatasetRequest(dataset=pb.Dataset(
            name="bench", task_type=common_pb2.TASK_TYPE_BBOXES)))
        created = 0
        started = time.perf_counter()
        sample_ids: list[str] = []
        for b in range(BATCHES):
            reply = await datasets.BatchCreateSamples(pb.BatchCreateSamplesRequest(
                dataset_id=dataset.id, samples=_samples(b)))
            created += len(reply.samples)
            sample_ids += [s.id for s in reply.samples[:10]]
        batch_rate = created / (time.perf_counter() - started)

        empty_s, _ = await run_concurrently(
            lambda i: health.Check(health_pb2.HealthCheckRequest()), CALLS, CONCURRENCY)
        get_s, latencies = await run_concurrently(
            lambda i: datasets.GetSample(pb.GetSampleRequest(
                sample_id=sample_ids[i % len(sample_ids)])), CALLS, CONCURRENCY)

        listed = 0
        token = ""
        started = time.perf_counter()
        while True:
            page = await datasets.ListSamples(pb.ListSamplesRequest(
                dataset_id=dataset.id, page_size=1000, page_token=token))
            listed += len(page.samples)
            token = page.next_page_token
            if not token:
                break
        list_rate = listed / (time.perf_counter() - started)
        assert listed == created
    return {
        "empty_unary_per_s": CALLS / empty_s,
        "get_sample_per_s": CALLS / get_s,
        "get_sample_p99_ms": float(np.percentile(latencies, 99)),
        "batch_create_samples_per_s": batch_rate,
        "list_samples_per_s": list_rate,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        baseline = _sqlite_baseline(Path(directory) / "baseline.db")
        env = {"FRAMEWISE_DATA_DIR": directory}
        with service_process("dataset", env) as (address, _):
            figures = asyncio.run(_measure(address))
    figures["sqlite_executemany_rows_per_s"] = baseline
    figures["get_sample_ratio_vs_empty_unary"] = (
        figures["get_sample_per_s"] / figures["empty_unary_per_s"])
    figures["batch_create_ratio_vs_sqlite_executemany"] = (
        figures["batch_create_samples_per_s"] / baseline)
    print(f"empty unary (baseline)   {figures['empty_unary_per_s']:10.0f} calls/s")
    print(f"GetSample                {figures['get_sample_per_s']:10.0f} calls/s"
          f"  = {figures['get_sample_ratio_vs_empty_unary']:.2f} x empty unary"
          f"  (p99 {figures['get_sample_p99_ms']:.1f} ms)")
    print(f"sqlite executemany (baseline) {baseline:10.0f} rows/s")
    print(f"BatchCreateSamples       {figures['batch_create_samples_per_s']:10.0f} samples/s"
          f"  = {figures['batch_create_ratio_vs_sqlite_executemany']:.3f} x executemany")
    print(f"ListSamples paging       {figures['list_samples_per_s']:10.0f} samples/s")
    emit({k: round(v, 4) for k, v in figures.items()})


if __name__ == "__main__":
    main()
