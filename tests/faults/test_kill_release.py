"""SIGKILL of the release service while it writes a release file: clients see UNAVAILABLE,
no partial file is ever visible or downloadable, the killed service's workers go with
it, and after a restart on the same database the build is resumed to SUCCEEDED with a
whole, valid file. (The build is held mid-file by pausing the interpolation service it
streams frames from, so the kill lands there however loaded the machine is.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import grpc
import psutil

from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2 as rpb
from framewise.release.v1 import release_pb2_grpc
from tests.support import labelers as lab
from tests.support import releases
from tests.support.errors import expect_error
from tests.support.processes import ProcessSuite, ready
from tests.support.waiting import wait_until_async

SEQUENCES = 6
FRAMES = 600
TRACKS = 8


def _partial_files(blob_dir: Path, release_id: str) -> list[Path]:
    return list((blob_dir / ".tmp").glob(f"{release_id}.json.*.part"))


async def _wait_for_writing(channel: grpc.aio.Channel, blob_dir: Path, release_id: str,
                           pid: int) -> bool:
    """Waits until the build writes the release file and formats frames on its workers;
    False if it ended first."""
    deadline = time.monotonic() + 120
    while not (_partial_files(blob_dir, release_id) and _descendants(pid)):
        release = await releases.get(channel, release_id)
        if release.status != rpb.RELEASE_STATUS_PENDING:
            return False
        assert time.monotonic() < deadline, "the build never started writing its file"
        await asyncio.sleep(0.005)
    return True


async def _settled(blob_dir: Path, release_id: str, quiet_s: float = 0.3) -> None:
    """Waits until the partial file stops growing (the build has written the frames it
    received and waits on the paused interpolation service), or the build ended."""
    def size() -> int:
        total = 0
        for part in _partial_files(blob_dir, release_id):
            with contextlib.suppress(FileNotFoundError):  # renamed when the build ended
                total += part.stat().st_size
        return total

    last, since = -1, time.monotonic()

    def still() -> bool:
        nonlocal last, since
        now, current = time.monotonic(), size()
        if current != last:
            last, since = current, now
        return current == 0 or now - since >= quiet_s

    await wait_until_async(still, f"release {release_id}'s file stopped growing",
                           timeout_s=60, interval_s=0.05)


async def _frozen_mid_file(suite: ProcessSuite, channel: grpc.aio.Channel, blob_dir: Path,
                           dataset_id: str) -> rpb.Release:
    """A release whose build is stopped in the middle of its file: once it writes, the
    interpolation service it streams frames from is paused (SIGSTOP), and the build
    waits on it with its file half written. A loaded machine may let a build end
    before that: then another release is tried."""
    for attempt in range(3):
        created = await releases.create(channel, dataset_id, f"killed-{attempt}")
        if await _wait_for_writing(channel, blob_dir, created.id, suite["release"].pid):
            suite["interpolation"].pause()
            await _settled(blob_dir, created.id)  # frames already received are written
            if _partial_files(blob_dir, created.id) and (
                    await releases.get(channel, created.id)).status == \
                    rpb.RELEASE_STATUS_PENDING:
                return created
            suite["interpolation"].resume()
        await releases.wait_done(channel, created.id)
    raise AssertionError("every build ended before it could be stopped mid-file")


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


async def test_a_release_build_killed_mid_file_resumes_to_a_whole_file(suite: ProcessSuite):
    blob_dir = suite.directory / "releases"
    async with suite.channel("dataset") as datasets, suite.channel("labeling") as labeling, \
            suite.channel("release") as release_channel:
        dataset, samples = await lab.create_sequence_dataset(datasets, "kill-release",
                                                             SEQUENCES, FRAMES)
        saver = labeling_pb2_grpc.LabelingServiceStub(labeling)
        for number, sample in enumerate(samples, start=1):
            await saver.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
                sample_id=sample.id, attributes_json=json.dumps(
                    lab.sequence_label(FRAMES, number, tracks=TRACKS, every=50)))),
                metadata=lab.OWNER, timeout=lab.CALL_DEADLINE_S)

        created = await _frozen_mid_file(suite, release_channel, blob_dir, dataset.id)
        workers = _descendants(suite["release"].pid)  # the frame-formatting processes
        try:
            suite.kill("release")
        finally:
            suite["interpolation"].resume()
        # Killed while writing: the partial file is there, out of sight; nothing in place.
        assert _partial_files(blob_dir, created.id)
        assert not (blob_dir / f"{created.id}.json").exists()
        await expect_error(releases.get(release_channel, created.id),
                           grpc.StatusCode.UNAVAILABLE)
        # A killed service takes its workers with it (they would hold memory forever).
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, f"orphaned workers of the killed release service: {alive}"

        suite.restart("release")
        await ready(release_channel)
        stub = release_pb2_grpc.ReleaseServiceStub(release_channel)
        while (await releases.get(release_channel, created.id)).status == \
                rpb.RELEASE_STATUS_PENDING:
            # Until the resumed build is done, there is nothing to download.
            try:
                data = await releases.download(release_channel, created.id)
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error
                assert "PENDING" in (error.details() or "")
            else:  # the build ended since we looked: then the file is the whole one
                finished = await releases.get(release_channel, created.id)
                assert finished.status == rpb.RELEASE_STATUS_SUCCEEDED
                assert len(data) == finished.file_size_bytes
            await asyncio.sleep(0.2)
        done = await releases.wait_done(release_channel, created.id)
        assert done.status == rpb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
        document = await releases.complete_file(release_channel, done)
        # Every sequence, every frame, each label the one saved (keyframe boxes held).
        written = {s["uuid"]: s for s in document["dataset"]["samples"]}
        assert set(written) == {s.id for s in samples}
        for number, sample in enumerate(samples, start=1):
            frames = written[sample.id]["labels"]["ground-truth"]["attributes"]["frames"]
            assert len(frames) == FRAMES
            first = frames[0]["annotations"][0]
            assert (first["track_id"], first["is_keyframe"]) == (1, True)
            assert first["points"][0][0] == number
            assert all(len(frame["annotations"]) == TRACKS for frame in frames)
        # The killed build's scratch space does not outlive it (the work dir is the
        # service's own, and a pod's emptyDir survives a killed container).
        assert list(suite.release_work_dir.iterdir()) == []
        # Only whole files in place: this release's file and manifest, nothing else of it.
        assert sorted(p.name for p in blob_dir.glob(f"{created.id}*")) == [
            f"{created.id}.json", f"{created.id}.manifest.jsonl"]
        assert (await stub.ListReleases(rpb.ListReleasesRequest(dataset_id=dataset.id),
                                        metadata=lab.OWNER, timeout=lab.CALL_DEADLINE_S)
                ).releases[0].status == rpb.RELEASE_STATUS_SUCCEEDED
