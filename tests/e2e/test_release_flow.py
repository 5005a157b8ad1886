"""End to end, each service its own process: a dataset, a sequence labeled with keyframes
(a remove-keyframe among them) through the labeling service, a release of it, the file
downloaded in chunks and every frame checked against the interpolation rules."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2 as pb
from framewise.release.v1 import release_pb2_grpc
from shared.auth_grpc import bearer_channel
from tests.support.tokens import TEST_SECRET, token_for

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("dataset", "labeling", "interpolation", "release")
FRAMES = 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_serving(address: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert process.poll() is None, f"service on {address} exited"
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
    raise AssertionError(f"service on {address} not serving")


@pytest.fixture
def addresses(tmp_path: Path) -> Iterator[dict[str, str]]:
    found = {name: f"127.0.0.1:{_free_port()}" for name in SERVICES}
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(tmp_path / "data"),
           "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET,
           "FRAMEWISE_LOG_LEVEL": "WARNING"}
    for name, address in found.items():
        env[f"FRAMEWISE_{name.upper()}_ADDRESS"] = address
        env[f"FRAMEWISE_{name.upper()}_PORT"] = address.rsplit(":", 1)[1]
        env[f"FRAMEWISE_{name.upper()}_METRICS_PORT"] = "0"
    processes = []
    try:
        for name in SERVICES:
            process = subprocess.Popen([sys.executable, "-m", f"services.{name}.main"],
                                       cwd=ROOT, env=env)
            processes.append(process)
            _wait_serving(found[name], process)
        yield found
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


def _box(track: int, x: float, y: float, **extra: Any) -> dict[str, Any]:
    return {"id": track, "track_id": track, "category_id": track, "type": "bbox",
            "is_keyframe": True, "points": [[x, y], [x + 20.0, y + 10.0]], **extra}


def _expected(track: int, frame: int) -> list[list[float]] | None:
    """The interpolation rules (DESIGN.md §6) for the keyframes saved below."""
    if track == 1:  # keyframes 10 (x=0) and 110 (x=100); removed at 150; back at 180
        if frame < 10 or 150 <= frame < 180:
            return None
        if frame <= 110:
            x = float(frame - 10)
        elif frame < 150:
            x = 100.0
        else:
            x = 300.0
        return [[x, 5.0], [x + 20.0, 15.0]]
    # track 2: one keyframe at 0, held to the end
    return [[50.0, 50.0], [70.0, 60.0]]


def test_release_of_a_labeled_sequence_holds_every_frame(addresses: dict[str, str],
                                                         tmp_path: Path) -> None:
    channels = {n: bearer_channel(grpc.insecure_channel(a), token_for("e2e"))
                for n, a in addresses.items()}
    try:
        datasets = dataset_pb2_grpc.DatasetServiceStub(channels["dataset"])
        labeling = labeling_pb2_grpc.LabelingServiceStub(channels["labeling"])
        releases = release_pb2_grpc.ReleaseServiceStub(channels["release"])
        dataset = datasets.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
            name="e2e", task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
            task_attributes=dpb.TaskAttributes(categories=[
                dpb.Category(id=1, name="car"), dpb.Category(id=2, name="person")]))))
        frames = [{"image": {"url": f"https://x/{i}.jpg"}, "name": f"{i:04d}",
                   "timestamp": i / 25} for i in range(FRAMES)]
        sample = datasets.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
            dataset_id=dataset.id, name="drive-1",
            attributes_json=json.dumps({"frames": frames}))))
        keyframes: list[dict[str, Any]] = [{"annotations": []} for _ in range(FRAMES)]
        keyframes[0]["annotations"] = [_box(2, 50.0, 50.0)]
        keyframes[10]["annotations"] = [_box(1, 0.0, 5.0)]
        keyframes[110]["annotations"] = [_box(1, 100.0, 5.0)]
        keyframes[150]["annotations"] = [{"track_id": 1, "category_id": 1, "type": "bbox",
                                          "is_keyframe": True, "removed": True}]
        keyframes[180]["annotations"] = [_box(1, 300.0, 5.0)]
        labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=sample.id, attributes_json=json.dumps(
                {"format_version": "0.2", "frames": keyframes}),
            status=common_pb2.LABEL_STATUS_LABELED)))

        created = releases.CreateRelease(pb.CreateReleaseRequest(
            release=pb.Release(dataset_id=dataset.id, name="v1"), request_id="e2e-1"))
        assert created.status == pb.RELEASE_STATUS_PENDING
        deadline = time.monotonic() + 60
        release = created
        while release.status == pb.RELEASE_STATUS_PENDING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
            release = releases.GetRelease(pb.GetReleaseRequest(release_id=created.id))
        assert release.status == pb.RELEASE_STATUS_SUCCEEDED, release.failure_reason
        assert release.sample_count == 1

        data = b"".join(c.data for c in releases.DownloadRelease(pb.DownloadReleaseRequest(
            release_id=release.id, chunk_size=4096)))
        assert len(data) == release.file_size_bytes
        assert hashlib.sha256(data).hexdigest() == release.content_sha256
        document = json.loads(data)
    finally:
        for channel in channels.values():
            channel.close()

    assert document["dataset"]["task_type"] == "image-vector-sequence"
    (written,) = document["dataset"]["samples"]
    assert written["uuid"] == sample.id and written["name"] == "drive-1"
    label = written["labels"]["ground-truth"]
    assert label["label_status"] == "LABELED"
    out = label["attributes"]["frames"]
    assert len(out) == FRAMES
    keyframe_at = {1: {10, 110, 180}, 2: {0}}
    for frame, entry in enumerate(out):
        assert entry["timestamp"] == pytest.approx(frame / 25)
        present = {a["track_id"]: a for a in entry["annotations"]}
        for track in (1, 2):
            expected = _expected(track, frame)
            if expected is None:
                assert track not in present, (track, frame)
                continue
            state = present[track]
            flat = [c for point in state["points"] for c in point]
            assert flat == pytest.approx([c for point in expected for c in point]), (track, frame)
            assert state["is_keyframe"] is (frame in keyframe_at[track]), (track, frame)
            assert state["category_id"] == track and state["type"] == "bbox"
