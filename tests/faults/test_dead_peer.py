"""A service whose peer is dead (killed) or wedged (stopped) answers UNAVAILABLE quickly,
never hangs, and recovers by itself once the peer is back on its address and database."""

from __future__ import annotations

import asyncio
import json
import time

import grpc

from framewise.interpolation.v1 import interpolation_pb2 as ipb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2 as rpb
from tests.support import labelers as lab
from tests.support import releases
from tests.support.errors import expect_error
from tests.support.processes import ProcessSuite

FRAMES = 20
RECOVERY_S = 60.0  # generous: "recovers by itself", not how fast


def _save(sample_id: str, number: int) -> lpb.SaveLabelRequest:
    return lpb.SaveLabelRequest(label=lpb.Label(sample_id=sample_id, attributes_json=json.dumps(
        lab.sequence_label(FRAMES, number))))


async def _until_ok(call, what: str):  # type: ignore[no-untyped-def]
    """Calls `call()` until it answers; until then it may only fail UNAVAILABLE."""
    deadline = time.monotonic() + RECOVERY_S
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, (what, error)
            assert time.monotonic() < deadline, f"{what} still UNAVAILABLE after {RECOVERY_S}s"
            await asyncio.sleep(0.2)


def _frames(sample_id: str) -> ipb.StreamFrameStatesRequest:
    return ipb.StreamFrameStatesRequest(stored_label=ipb.StoredLabel(sample_id=sample_id))


async def _stream(stub: interpolation_pb2_grpc.InterpolationServiceStub,
                  sample_id: str) -> list[ipb.FrameState]:
    return [frame async for response in stub.StreamFrameStates(
        _frames(sample_id), metadata=lab.OWNER, timeout=lab.CALL_DEADLINE_S)
        for frame in response.frames]


async def test_callers_of_a_killed_dataset_service_answer_unavailable_then_recover(
        suite: ProcessSuite):
    async with suite.channel("dataset") as datasets, suite.channel("labeling") as labeling, \
            suite.channel("interpolation") as interpolation, \
            suite.channel("release") as release_channel:
        dataset, samples = await lab.create_sequence_dataset(datasets, "dead-peer", 2, FRAMES)
        labels = labeling_pb2_grpc.LabelingServiceStub(labeling)
        frames = interpolation_pb2_grpc.InterpolationServiceStub(interpolation)
        await labels.SaveLabel(_save(samples[0].id, 1), metadata=lab.OWNER,
                               timeout=lab.CALL_DEADLINE_S)
        untouched = samples[1].id  # labeling has nothing of it cached

        suite.kill("dataset")
        # Each call has the client's deadline: a hang would be DEADLINE_EXCEEDED, not this.
        await expect_error(labels.SaveLabel(_save(untouched, 2), metadata=lab.OWNER,
                                            timeout=lab.CALL_DEADLINE_S),
                           grpc.StatusCode.UNAVAILABLE)
        await expect_error(_stream(frames, samples[0].id), grpc.StatusCode.UNAVAILABLE)
        await expect_error(releases.create(release_channel, dataset.id, "v1"),
                           grpc.StatusCode.UNAVAILABLE)

        suite.restart("dataset")
        # The same labeling, interpolation and release processes answer again by themselves.
        saved = await _until_ok(lambda: labels.SaveLabel(
            _save(untouched, 3), metadata=lab.OWNER, timeout=lab.CALL_DEADLINE_S), "SaveLabel")
        assert lab.number_of(saved.attributes_json) == 3
        streamed = await _until_ok(lambda: _stream(frames, samples[0].id), "StreamFrameStates")
        assert len(streamed) == FRAMES
        created = await _until_ok(lambda: releases.create(release_channel, dataset.id, "v1"),
                                  "CreateRelease")
        done = await releases.wait_done(release_channel, created.id)
        assert done.status == rpb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
        assert done.sample_count == 2


async def test_a_wedged_dataset_service_makes_labeling_answer_unavailable_not_hang(
        suite: ProcessSuite):
    async with suite.channel("dataset") as datasets, suite.channel("labeling") as labeling:
        _, samples = await lab.create_sequence_dataset(datasets, "wedged-peer", 2, FRAMES)
        labels = labeling_pb2_grpc.LabelingServiceStub(labeling)
        suite["dataset"].pause()
        try:
            # Labeling's own deadline on its call to the dataset service ends it, long
            # before the client's.
            await expect_error(labels.SaveLabel(_save(samples[0].id, 1), metadata=lab.OWNER,
                                                timeout=lab.CALL_DEADLINE_S),
                               grpc.StatusCode.UNAVAILABLE)
        finally:
            suite["dataset"].resume()
        saved = await _until_ok(lambda: labels.SaveLabel(
            _save(samples[1].id, 2), metadata=lab.OWNER, timeout=lab.CALL_DEADLINE_S),
            "SaveLabel")
        assert saved.revision > 0
