"""Datasets for the release benchmark: created in batches, labels saved concurrently."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass

import grpc

from bench.release_seed import insert_labels
from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc

BATCH = 10_000
CONCURRENCY = 32
KEYFRAME_EVERY = 100
PROGRESS = 2000
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _categories() -> dpb.TaskAttributes:
    return dpb.TaskAttributes(categories=[dpb.Category(id=i, name=f"class{i}")
                                          for i in range(1, 6)])


@dataclass(frozen=True)
class Seeding:
    """Where labels go: the labeling service, and its database for the bulk fallback."""

    labeling: labeling_pb2_grpc.LabelingServiceStub
    labeling_database_url: str
    budget_s: float = float(os.environ.get("BENCH_RELEASE_SEED_BUDGET_S", "240"))


async def _save_all(seeding: Seeding, dataset_id: str, requests: list[tuple[str, str]],
                    kind: str) -> None:
    """SaveLabel for each (sample id, label JSON) with CONCURRENCY clients, with progress;
    the rest in bulk (release_seed) if the save rate says they would not fit the budget."""
    labeling = seeding.labeling
    queue = iter(requests)
    done = 0
    started = time.perf_counter()
    bulk = False

    async def save(sample_id: str, document: str) -> None:
        request = lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=sample_id, attributes_json=document, status=common_pb2.LABEL_STATUS_LABELED))
        for attempt in range(8):
            try:
                await labeling.SaveLabel(request, timeout=120)
                return
            except grpc.aio.AioRpcError as exc:
                # A loaded machine makes the labeling service's dataset calls time out.
                if exc.code() not in RETRYABLE or attempt == 7:
                    raise
                await asyncio.sleep(0.2 * 2 ** attempt)

    async def client() -> None:
        nonlocal done, bulk
        for sample_id, document in queue:
            await save(sample_id, document)
            done += 1
            if done % PROGRESS == 0:
                elapsed = time.perf_counter() - started
                rate = done / elapsed
                print(f"[{kind}] {done} labels saved ({rate:.0f}/s)", flush=True)
                if not bulk and elapsed + (len(requests) - done) / rate > seeding.budget_s:
                    bulk = True
            if bulk:
                return

    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    rest = list(queue)
    if rest:
        print(f"[{kind}] saves too slow here for the {seeding.budget_s:.0f} s seeding budget: "
              f"{len(rest)} labels inserted in bulk through the labeling storage "
              "(bench/release_seed.py)", flush=True)
        await insert_labels(seeding.labeling_database_url, dataset_id, rest)


async def _batch_create(datasets: dataset_pb2_grpc.DatasetServiceStub,
                        request: dpb.BatchCreateSamplesRequest,
                        ) -> dpb.BatchCreateSamplesResponse:
    """Retried when the connection drops: the request id makes a retry return the batch
    the first attempt created."""
    for attempt in range(6):
        try:
            return await datasets.BatchCreateSamples(request, timeout=600)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in RETRYABLE or attempt == 5:
                raise
            await asyncio.sleep(1 + attempt)
    raise AssertionError("unreachable")


def _image_label(i: int) -> str:
    return json.dumps({"format_version": "0.1", "annotations": [
        {"id": k + 1, "category_id": k % 5 + 1, "type": "bbox",
         "points": [[10.0 * k + i % 7, 5.0 * k], [10.0 * k + 40.5, 5.0 * k + 30.25]],
         "attributes": {}} for k in range(10)]}, separators=(",", ":"))


async def populate_images(datasets: dataset_pb2_grpc.DatasetServiceStub, seeding: Seeding,
                          count: int) -> str:
    dataset = await datasets.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name="bench-images", task_type=common_pb2.TASK_TYPE_BBOXES,
        task_attributes=_categories())))
    ids: list[str] = []
    for start in range(0, count, BATCH):
        samples = [dpb.Sample(name=f"img{i:06d}", attributes_json=json.dumps(
            {"image": {"url": f"https://data.example/img{i:06d}.jpg", "width": 1920,
                       "height": 1080}}), metadata_json='{"split":"train"}')
            for i in range(start, min(count, start + BATCH))]
        created = await _batch_create(datasets, dpb.BatchCreateSamplesRequest(
            dataset_id=dataset.id, samples=samples, request_id=f"bench-images-{start}"))
        ids.extend(s.id for s in created.samples)
        print(f"[images] {len(ids)} samples created", flush=True)
    await _save_all(seeding, dataset.id,
                    [(sample_id, _image_label(i)) for i, sample_id in enumerate(ids)], "images")
    return dataset.id


def _sequence_label(frames: int, tracks: int) -> str:
    entries: list[dict] = [{"annotations": []} for _ in range(frames)]
    for track in range(1, tracks + 1):
        for frame in range(track % 10, frames, KEYFRAME_EVERY):
            x = 10.0 * track + frame * 0.5
            entries[frame]["annotations"].append({
                "id": track, "track_id": track, "is_keyframe": True,
                "category_id": track % 5 + 1, "type": "bbox",
                "points": [[x, 20.0 + track], [x + 35.0, 60.0 + track]], "attributes": {}})
    return json.dumps({"format_version": "0.2", "frames": entries}, separators=(",", ":"))


async def populate_sequences(datasets: dataset_pb2_grpc.DatasetServiceStub,
                             seeding: Seeding, count: int, frames: int, tracks: int) -> str:
    dataset = await datasets.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name="bench-sequences", task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
        task_attributes=_categories())))
    attributes = [json.dumps({"frames": [
        {"image": {"url": f"https://data.example/seq{s:03d}/{f:05d}.jpg"}, "name": f"{f:05d}",
         "timestamp": f / 10} for f in range(frames)]}) for s in range(count)]
    created = await _batch_create(datasets, dpb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=[dpb.Sample(name=f"seq{s:03d}", attributes_json=a)
                                        for s, a in enumerate(attributes)],
        request_id="bench-sequences"))
    label = _sequence_label(frames, tracks)
    await _save_all(seeding, dataset.id, [(s.id, label) for s in created.samples], "sequences")
    return dataset.id
