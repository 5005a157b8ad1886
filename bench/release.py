"""Benchmark of release builds, against a plain read of the same data in the same run.

Starts the dataset, labeling, interpolation and release services as subprocesses on
SQLite (dataset and labeling on PostgreSQL when reachable, to seed faster), then for two
datasets:
- images: 100,000 image samples with a 10-box label each;
- sequences: 100 sequences x 1,000 frames x 50 tracks (keyframes every 100 frames, the
  rest interpolated: 5,000,000 object states written out);
measures the build (CreateRelease until SUCCEEDED) and the release process's peak RSS,
and the baseline: the samples and labels read by a client with nothing written
(ListSamples and StreamLabels drained concurrently; for sequences also every frame's
states drained from StreamFrameStates, since that is what the release file holds).
Ends with one JSON line.

    .venv/bin/python -m bench.release     (or: make bench-release)

Sizes: BENCH_RELEASE_IMAGES, BENCH_RELEASE_SEQUENCES, BENCH_RELEASE_FRAMES,
BENCH_RELEASE_TRACKS (defaults above).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench.release_data import Seeding, populate_images, populate_sequences  # noqa: E402
from bench.release_services import (  # noqa: E402
    RssSampler,
    peak_rss_mb,
    reset_peak_rss,
    source_databases,
    suite,
)
from bench.support import channel as bench_channel  # noqa: E402
from bench.support import emit  # noqa: E402
from framewise.dataset.v1 import dataset_pb2 as dpb  # noqa: E402
from framewise.dataset.v1 import dataset_pb2_grpc  # noqa: E402
from framewise.interpolation.v1 import interpolation_pb2 as ipb  # noqa: E402
from framewise.interpolation.v1 import interpolation_pb2_grpc  # noqa: E402
from framewise.labeling.v1 import labeling_pb2 as lpb  # noqa: E402
from framewise.labeling.v1 import labeling_pb2_grpc  # noqa: E402
from framewise.release.v1 import release_pb2 as pb  # noqa: E402
from framewise.release.v1 import release_pb2_grpc  # noqa: E402

IMAGES = int(os.environ.get("BENCH_RELEASE_IMAGES", "100000"))
SEQUENCES = int(os.environ.get("BENCH_RELEASE_SEQUENCES", "100"))
FRAMES = int(os.environ.get("BENCH_RELEASE_FRAMES", "1000"))
TRACKS = int(os.environ.get("BENCH_RELEASE_TRACKS", "50"))
OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


class Clients:
    def __init__(self, addresses: dict[str, tuple[str, int]]) -> None:
        self.channels = [bench_channel(addresses[n][0], options=OPTIONS)
                         for n in ("dataset", "labeling", "interpolation", "release")]
        self.dataset = dataset_pb2_grpc.DatasetServiceStub(self.channels[0])
        self.labeling = labeling_pb2_grpc.LabelingServiceStub(self.channels[1])
        self.interpolation = interpolation_pb2_grpc.InterpolationServiceStub(self.channels[2])
        self.release = release_pb2_grpc.ReleaseServiceStub(self.channels[3])

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


async def plain_read(clients: Clients, dataset_id: str, with_states: bool) -> tuple[float, int]:
    """Reads what a release holds, writes nothing; returns (seconds, objects read)."""
    started = time.perf_counter()
    dataset = await clients.dataset.GetDataset(dpb.GetDatasetRequest(dataset_id=dataset_id))
    sample_ids: list[str] = []
    objects = 0

    async def samples() -> None:
        token = ""
        while True:
            page = await clients.dataset.ListSamples(dpb.ListSamplesRequest(
                dataset_id=dataset_id, as_of_revision=dataset.revision, page_size=1000,
                page_token=token))
            sample_ids.extend(s.id for s in page.samples)
            token = page.next_page_token
            if not token:
                return

    labeled: list[tuple[str, int]] = []

    async def labels() -> None:
        async for page in clients.labeling.StreamLabels(lpb.StreamLabelsRequest(
                dataset_id=dataset_id, page_size=1000)):
            labeled.extend((label.sample_id, page.revision) for label in page.labels)

    await asyncio.gather(samples(), labels())
    if with_states:
        for sample_id, revision in labeled:
            async for response in clients.interpolation.StreamFrameStates(
                    ipb.StreamFrameStatesRequest(stored_label=ipb.StoredLabel(
                        sample_id=sample_id, revision=revision))):
                objects += sum(len(f.objects) for f in response.frames)
    return time.perf_counter() - started, objects or len(labeled)


async def build(clients: Clients, dataset_id: str, name: str,
                pid: int) -> tuple[float, float, float, pb.Release]:
    """Creates a release and waits for it; returns (seconds, peak RSS MB of the service
    with its worker processes, peak RSS MB of its main process, release)."""
    exact = reset_peak_rss(pid)
    sampler = RssSampler(pid)
    sampler.start()
    started = time.perf_counter()
    created = await clients.release.CreateRelease(pb.CreateReleaseRequest(
        release=pb.Release(dataset_id=dataset_id, name=name)))
    while True:
        release = await clients.release.GetRelease(pb.GetReleaseRequest(release_id=created.id))
        if release.status != pb.RELEASE_STATUS_PENDING:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    sampled = await sampler.stop()
    if release.status != pb.RELEASE_STATUS_SUCCEEDED:
        raise RuntimeError(f"release {name} failed: {release.failure_reason}")
    return elapsed, sampled, peak_rss_mb(pid) if exact else sampled, release


async def measure(clients: Clients, dataset_id: str, kind: str, pid: int,
                  with_states: bool) -> dict[str, float]:
    read_s, objects = await plain_read(clients, dataset_id, with_states)
    print(f"[{kind}] plain read: {read_s:.1f} s ({objects} objects)", flush=True)
    build_s, rss, main_rss, release = await build(clients, dataset_id, f"bench-{kind}", pid)
    print(f"[{kind}] release build: {build_s:.1f} s, peak RSS {rss:.0f} MB with its workers "
          f"({main_rss:.0f} MB main process), "
          f"{release.sample_count} samples, {release.file_size_bytes / 1e6:.0f} MB file",
          flush=True)
    figures = {f"build_s_{kind}": round(build_s, 2),
               f"read_s_{kind}": round(read_s, 2),
               f"ratio_vs_read_{kind}": round(build_s / read_s, 2),
               f"peak_rss_mb_{kind}": round(rss, 1),
               f"peak_rss_mb_main_process_{kind}": round(main_rss, 1),
               f"file_mb_{kind}": round(release.file_size_bytes / 1e6, 1)}
    if with_states:  # the keyframes-only read too, for the record
        keyframes_s, _ = await plain_read(clients, dataset_id, False)
        figures["read_keyframes_only_s_sequences"] = round(keyframes_s, 2)
    return figures


async def main() -> None:
    figures: dict[str, float | int | str] = {
        "images": IMAGES, "sequences": SEQUENCES, "frames": FRAMES, "tracks": TRACKS}
    # An absolute path already (mkdtemp under an absolute temp dir): SQLite URLs need one.
    with tempfile.TemporaryDirectory(prefix="bench-release-",
                                     dir=tempfile.gettempdir()) as directory:
        async with source_databases() as urls, suite(Path(directory), urls) as addresses:
            figures["source_databases"] = "postgresql" if urls else "sqlite"
            print(f"dataset and labeling on {figures['source_databases']}, release on sqlite",
                  flush=True)
            clients = Clients(addresses)
            try:
                release_pid = addresses["release"][1]
                seeding = Seeding(clients.labeling, urls.get("labeling") or
                                  f"sqlite+aiosqlite:///{directory}/labeling.db")
                started = time.perf_counter()
                images = await populate_images(clients.dataset, seeding, IMAGES)
                print(f"[images] populated in {time.perf_counter() - started:.0f} s", flush=True)
                figures.update(await measure(clients, images, "images", release_pid, False))
                started = time.perf_counter()
                sequences = await populate_sequences(clients.dataset, seeding, SEQUENCES,
                                                     FRAMES, TRACKS)
                print(f"[sequences] populated in {time.perf_counter() - started:.0f} s",
                      flush=True)
                figures.update(await measure(clients, sequences, "sequences", release_pid,
                                             True))
            finally:
                await clients.close()
    print(json.dumps({"targets": {"ratio_vs_read": 3, "peak_rss_mb": 400}}))
    emit(figures)


if __name__ == "__main__":
    asyncio.run(main())
