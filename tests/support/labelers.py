"""Concurrent labelers saving sequence labels, and the ledger that proves no save was lost.

Each labeler is a collaborator with the labeler role, assigned its own samples by the
dataset's owner; it saves them in turn, each save over the etag of its previous one on
that sample, its content numbered (the x of a keyframe box is the save's number). Every
save that answered OK goes in the ledger with its revision and etag; `verify` reads the
labels back and checks each of them is there, and that the current label is the last
acknowledged save or the one that was in flight (its fate unknown) when its call failed.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc

OWNER = (("x-test-user", "owner"),)
CALL_DEADLINE_S = 30.0  # every call has one: a hang fails the test instead of blocking it


def as_user(user: str) -> tuple[tuple[str, str], ...]:
    return (("x-test-user", user),)


def sequence_frames(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{"image": {"url": f"https://example.com/{prefix}/{i}.jpg", "width": 640,
                       "height": 480}, "name": f"f{i}", "timestamp": i * 0.04}
            for i in range(count)]


def box(track_id: int, x: float) -> dict[str, Any]:
    return {"id": track_id, "track_id": track_id, "is_keyframe": True, "category_id": 1,
            "type": "bbox", "points": [[x, 10.0], [x + 20.0, 40.0]], "attributes": {}}


def sequence_label(frame_count: int, number: int, tracks: int = 2,
                   every: int | None = None) -> dict[str, Any]:
    """Keyframes for `tracks` tracks on frame 0, every `every` frames and the last frame;
    track 1's box starts at x = `number` on frame 0 (what `number_of` reads back)."""
    step = every or max(1, frame_count - 1)
    keys = sorted({0, frame_count - 1, *range(0, frame_count, step)})
    frames: list[dict[str, Any]] = [{"annotations": []} for _ in range(frame_count)]
    for k in keys:
        frames[k]["annotations"] = [box(t, float(number if k == 0 and t == 1 else 10 * t + k))
                                    for t in range(1, tracks + 1)]
    return {"format_version": "0.2", "frames": frames}


def number_of(attributes_json: str) -> int:
    document = json.loads(attributes_json)
    return int(document["frames"][0]["annotations"][0]["points"][0][0])


async def create_sequence_dataset(channel: grpc.aio.Channel, name: str, samples: int,
                                  frames: int) -> tuple[dpb.Dataset, list[dpb.Sample]]:
    """An image-vector-sequence dataset owned by OWNER, with `samples` sequences."""
    stub = dataset_pb2_grpc.DatasetServiceStub(channel)
    dataset = await stub.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name=name, task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
        task_attributes=dpb.TaskAttributes(categories=[dpb.Category(id=1, name="car")]))),
        metadata=OWNER, timeout=CALL_DEADLINE_S)
    created: list[dpb.Sample] = []
    for start in range(0, samples, 100):
        batch = [dpb.Sample(name=f"seq{i:04d}", attributes_json=json.dumps(
            {"frames": sequence_frames(frames, f"{name}/{i}")}))
            for i in range(start, min(samples, start + 100))]
        response = await stub.BatchCreateSamples(dpb.BatchCreateSamplesRequest(
            dataset_id=dataset.id, samples=batch), metadata=OWNER, timeout=CALL_DEADLINE_S)
        created.extend(response.samples)
    return dataset, created


@dataclass(frozen=True)
class Ack:
    number: int
    revision: int
    etag: str


@dataclass
class SampleLedger:
    sample_id: str
    acks: list[Ack] = field(default_factory=list)
    in_flight: int | None = None  # the number of a save whose call failed: fate unknown


@dataclass
class Labeler:
    user: str
    samples: list[SampleLedger]
    frame_count: int
    saves: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    failure: grpc.StatusCode | None = None
    failure_detail: str = ""
    number: int = 0
    unavailable: int = 0  # saves answered UNAVAILABLE (an overloaded peer), then reloaded

    async def save_once(self, stub: labeling_pb2_grpc.LabelingServiceStub) -> None:
        ledger = self.samples[self.saves % len(self.samples)]
        self.number += 1
        etag = ledger.acks[-1].etag if ledger.acks else ""
        request = lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=ledger.sample_id, etag=etag, status=common_pb2.LABEL_STATUS_LABELED,
            attributes_json=json.dumps(sequence_label(self.frame_count, self.number))))
        started = time.perf_counter()
        try:
            saved = await stub.SaveLabel(request, metadata=as_user(self.user),
                                         timeout=CALL_DEADLINE_S)
        except grpc.aio.AioRpcError:
            ledger.in_flight = self.number
            raise
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        ledger.acks.append(Ack(self.number, saved.revision, saved.etag))
        self.saves += 1

    async def reload(self, stub: labeling_pb2_grpc.LabelingServiceStub,
                     ledger: SampleLedger) -> None:
        """After a failed save, reads the label again, as a labeling tool does: the save
        in flight counts as acknowledged if it landed after all."""
        if ledger.in_flight is None:
            return
        current = await _current(stub, ledger.sample_id)
        if current is not None and number_of(current.attributes_json) == ledger.in_flight:
            ledger.acks.append(Ack(ledger.in_flight, current.revision, current.etag))
        ledger.in_flight = None


async def add_labelers(dataset_channel: grpc.aio.Channel, labeling_channel: grpc.aio.Channel,
                       dataset: dpb.Dataset, samples: list[dpb.Sample], count: int,
                       frame_count: int) -> list[Labeler]:
    """`count` labelers (collaborators with the labeler role), the samples dealt out
    among them by assignment."""
    datasets = dataset_pb2_grpc.DatasetServiceStub(dataset_channel)
    labeling = labeling_pb2_grpc.LabelingServiceStub(labeling_channel)
    labelers = [Labeler(f"labeler-{i:02d}", [], frame_count) for i in range(count)]
    for labeler in labelers:
        await datasets.AddCollaborator(dpb.AddCollaboratorRequest(collaborator=dpb.Collaborator(
            dataset_id=dataset.id, user=labeler.user, role=dpb.ROLE_LABELER)),
            metadata=OWNER, timeout=CALL_DEADLINE_S)
    for i, sample in enumerate(samples):
        labeler = labelers[i % count]
        await labeling.AssignSample(lpb.AssignSampleRequest(
            sample_id=sample.id, labeler=labeler.user), metadata=OWNER, timeout=CALL_DEADLINE_S)
        labeler.samples.append(SampleLedger(sample.id))
    return labelers


async def run_until_failure(labelers: list[Labeler], channel: grpc.aio.Channel) -> None:
    """Every labeler saves until a call fails; the failure's code is kept, not raised."""
    stub = labeling_pb2_grpc.LabelingServiceStub(channel)

    async def work(labeler: Labeler) -> None:
        while True:
            try:
                await labeler.save_once(stub)
            except grpc.aio.AioRpcError as error:
                labeler.failure, labeler.failure_detail = error.code(), error.details() or ""
                return

    await asyncio.gather(*(work(labeler) for labeler in labelers))


async def run_for(labelers: list[Labeler], channel: grpc.aio.Channel, seconds: float) -> float:
    """Every labeler saves for `seconds`; returns the time taken. A save answered
    UNAVAILABLE (a peer of the labeling service overloaded) is counted, and the labeler
    backs off, reloads the label and goes on; any other failure raises."""
    stub = labeling_pb2_grpc.LabelingServiceStub(channel)
    stop = time.perf_counter() + seconds

    async def work(labeler: Labeler) -> None:
        while time.perf_counter() < stop:
            ledger = labeler.samples[labeler.saves % len(labeler.samples)]
            try:
                await labeler.save_once(stub)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                labeler.unavailable += 1
                await asyncio.sleep(0.2)
                await labeler.reload(stub, ledger)

    started = time.perf_counter()
    await asyncio.gather(*(work(labeler) for labeler in labelers))
    return time.perf_counter() - started


async def _current(stub: labeling_pb2_grpc.LabelingServiceStub,
                   sample_id: str) -> lpb.Label | None:
    try:
        return await stub.GetLabel(lpb.GetLabelRequest(sample_id=sample_id), metadata=OWNER,
                                   timeout=CALL_DEADLINE_S)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


async def lost_saves(labelers: list[Labeler], channel: grpc.aio.Channel) -> list[str]:
    """What is wrong with the stored labels against the ledger (empty: nothing): an
    acknowledged save missing or changed (revision, etag, content), a current label that
    is neither the last acknowledged save nor the one in flight when a call failed, or
    a current label the revision history does not end with."""
    stub = labeling_pb2_grpc.LabelingServiceStub(channel)
    problems: list[str] = []
    for labeler in labelers:
        for ledger in labeler.samples:
            if not ledger.acks and ledger.in_flight is None:
                continue
            where = f"{labeler.user} on {ledger.sample_id}"
            revisions = []
            token = ""
            while True:
                page = await stub.ListLabelRevisions(lpb.ListLabelRevisionsRequest(
                    sample_id=ledger.sample_id, page_size=1000, page_token=token),
                    metadata=OWNER, timeout=CALL_DEADLINE_S)
                revisions += [(r.revision, r.etag, number_of(r.attributes_json))
                              for r in page.revisions]
                token = page.next_page_token
                if not token:
                    break
            stored = {revision: (etag, number) for revision, etag, number in revisions}
            problems += [f"{where}: acknowledged save #{ack.number} (revision {ack.revision}, "
                         f"etag {ack.etag}) is stored as {stored.get(ack.revision)}"
                         for ack in ledger.acks
                         if stored.get(ack.revision) != (ack.etag, ack.number)]
            current = await _current(stub, ledger.sample_id)
            if current is None:  # never saved: only a save whose call failed was tried
                if ledger.acks or stored:
                    problems.append(f"{where}: no label, but {len(ledger.acks)} saves were "
                                    f"acknowledged and {len(stored)} revisions are listed")
                continue
            number = number_of(current.attributes_json)
            if current.revision != max(stored, default=0):
                problems.append(f"{where}: GetLabel is revision {current.revision}, the "
                                f"history ends with {max(stored, default=0)}")
            allowed = {ledger.acks[-1].number} if ledger.acks else set()
            if ledger.in_flight is not None:
                allowed.add(ledger.in_flight)
            if number not in allowed:
                problems.append(f"{where}: the label holds save #{number}, expected one of "
                                f"{sorted(allowed)}")
            elif ledger.acks and number == ledger.acks[-1].number and (
                    current.revision, current.etag) != (ledger.acks[-1].revision,
                                                        ledger.acks[-1].etag):
                problems.append(f"{where}: the last save is read back as revision "
                                f"{current.revision}, acknowledged as {ledger.acks[-1]}")
    return problems


async def verify(labelers: list[Labeler], channel: grpc.aio.Channel) -> int:
    """Asserts no acknowledged save is lost (lost_saves); returns how many were checked."""
    problems = await lost_saves(labelers, channel)
    assert not problems, "\n".join(problems[:20])
    return sum(len(ledger.acks) for labeler in labelers for ledger in labeler.samples)


def release_problems(document: dict[str, Any], labelers: list[Labeler],
                     label_revision: int, label_set: str = "ground-truth") -> list[str]:
    """What a release file holds that it should not (empty: nothing): per sample, the
    last save acknowledged with a revision up to the release's label revision, exactly."""
    written = {s["uuid"]: s for s in document["dataset"]["samples"]}
    problems: list[str] = []
    for labeler in labelers:
        for ledger in labeler.samples:
            if ledger.sample_id not in written:
                problems.append(f"sample {ledger.sample_id} is not in the release")
                continue
            label = written[ledger.sample_id]["labels"].get(label_set)
            before = [ack for ack in ledger.acks if ack.revision <= label_revision]
            if not before:
                if label is not None:
                    problems.append(f"{ledger.sample_id}: released revision "
                                    f"{label['revision']}, saved after the release's "
                                    f"{label_revision}")
                continue
            expected = before[-1]
            got = None if label is None else (
                label["revision"],
                int(label["attributes"]["frames"][0]["annotations"][0]["points"][0][0]))
            if got != (expected.revision, expected.number):
                problems.append(f"{ledger.sample_id}: released (revision, save) {got}, "
                                f"expected {(expected.revision, expected.number)} as of "
                                f"revision {label_revision}")
    return problems


async def resync(labelers: list[Labeler], channel: grpc.aio.Channel) -> None:
    """After a failure: each sample whose in-flight save landed after all gets it as its
    last acknowledged save (what a labeler sees on reading the label again)."""
    stub = labeling_pb2_grpc.LabelingServiceStub(channel)
    for labeler in labelers:
        for ledger in labeler.samples:
            await labeler.reload(stub, ledger)
        labeler.failure, labeler.failure_detail = None, ""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]
