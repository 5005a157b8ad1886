"""SIGKILL of the interpolation service in the middle of a long stream of frames: the
client's stream ends with UNAVAILABLE (not a hang) after frames that were all correct,
and once the service is back the same client resumes from the frame it had reached."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from tests.support.labelers import CALL_DEADLINE_S
from tests.support.processes import ProcessSuite, ready

FRAMES = 2_000_000  # far more than the transport buffers: the server is mid-stream
PER_MESSAGE = 1000
LAST_X = 1_999_999.0


def _request(start: int = 0, end: int = 0) -> ipb.StreamFrameStatesRequest:
    # One box sliding right by one unit per frame: frame f is at x = f.
    track = ipb.Track(track_id=7, category_id=1, geometry_type=common_pb2.GEOMETRY_TYPE_BBOX,
                      keyframes=[ipb.Keyframe(frame=0, coordinates=[0, 0, 10, 10]),
                                 ipb.Keyframe(frame=FRAMES - 1,
                                              coordinates=[LAST_X, 0, LAST_X + 10, 10])])
    return ipb.StreamFrameStatesRequest(
        inline=ipb.InlineTracks(tracks=[track], frame_count=FRAMES), start_frame=start,
        end_frame=end, frames_per_message=PER_MESSAGE)


def _check(frames: list[ipb.FrameState], start: int) -> None:
    assert [f.frame for f in frames] == list(range(start, start + len(frames)))
    for frame in frames:
        assert frame.objects[0].track_id == 7
        assert frame.objects[0].coordinates[0] == pytest.approx(frame.frame)


async def test_a_stream_cut_by_a_kill_fails_unavailable_and_resumes(suite: ProcessSuite):
    async with suite.channel("interpolation") as channel:
        stub = interpolation_pb2_grpc.InterpolationServiceStub(channel)
        received: list[ipb.FrameState] = []
        call = stub.StreamFrameStates(_request(), timeout=CALL_DEADLINE_S)

        async def read_all() -> None:
            async for response in call:
                received.extend(response.frames)

        reading = asyncio.create_task(read_all())
        while len(received) < 3 * PER_MESSAGE:
            assert not reading.done(), reading
            await asyncio.sleep(0.001)
        suite.kill("interpolation")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await asyncio.wait_for(reading, 60)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value
        assert 3 * PER_MESSAGE <= len(received) < FRAMES
        _check(received, 0)

        suite.restart("interpolation")
        await ready(channel)
        reached = len(received)
        resumed = [frame async for response in stub.StreamFrameStates(
            _request(reached, reached + 5 * PER_MESSAGE), timeout=CALL_DEADLINE_S)
            for frame in response.frames]
        assert len(resumed) == 5 * PER_MESSAGE
        _check(resumed, reached)
