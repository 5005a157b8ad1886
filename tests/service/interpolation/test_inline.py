"""StreamFrameStates and GetFrameState over gRPC with inline tracks."""

from __future__ import annotations

import asyncio
import json
import math

import grpc
import pytest

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from tests.support.errors import expect_error

BBOX = common_pb2.GEOMETRY_TYPE_BBOX
CUBOID = common_pb2.GEOMETRY_TYPE_CUBOID
POLYGON = common_pb2.GEOMETRY_TYPE_POLYGON
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def car(track_id: int = 1) -> pb.Track:
    return pb.Track(track_id=track_id, category_id=2, geometry_type=BBOX, keyframes=[
        pb.Keyframe(frame=0, coordinates=[0, 0, 10, 10], attributes_json='{"occluded": false}'),
        pb.Keyframe(frame=10, coordinates=[10, 20, 30, 40], attributes_json='{"occluded": true}'),
        pb.Keyframe(frame=14, removed=True),
        pb.Keyframe(frame=16, coordinates=[1, 1, 2, 2]),
    ], track_attributes_json='{"color": "red"}')


def inline(*tracks: pb.Track, frames: int = 20, **kwargs) -> pb.InlineTracks:
    return pb.InlineTracks(tracks=list(tracks), frame_count=frames, **kwargs)


async def collect(stub, request) -> list[pb.FrameState]:
    frames: list[pb.FrameState] = []
    async for response in stub.StreamFrameStates(request):
        frames += list(response.frames)
    return frames


async def test_stream_follows_the_keyframes_frame_by_frame(interpolation_stub):
    frames = await collect(interpolation_stub, pb.StreamFrameStatesRequest(
        inline=inline(car()), frames_per_message=3))
    assert [f.frame for f in frames] == list(range(20))
    present = [len(f.objects) for f in frames]
    assert present == [1] * 14 + [0, 0] + [1] * 4
    first, middle, key = frames[0].objects[0], frames[5].objects[0], frames[10].objects[0]
    assert (first.is_keyframe, list(first.coordinates)) == (True, [0, 0, 10, 10])
    assert not middle.is_keyframe
    assert list(middle.coordinates) == [5, 10, 20, 25]
    assert json.loads(middle.attributes_json) == {"occluded": False, "color": "red"}
    assert list(key.coordinates) == [10, 20, 30, 40] and key.is_keyframe
    held = frames[19].objects[0]
    assert (list(held.coordinates), held.is_keyframe) == ([1, 1, 2, 2], False)
    assert (held.track_id, held.category_id, held.geometry_type) == (1, 2, BBOX)


async def test_each_message_holds_the_requested_frames_and_the_count(interpolation_stub):
    sizes = []
    async for response in interpolation_stub.StreamFrameStates(pb.StreamFrameStatesRequest(
            inline=inline(car(), frames=20), frames_per_message=6)):
        sizes.append(len(response.frames))
        assert response.frame_count == 20
    assert sizes == [6, 6, 6, 2]


async def test_range_track_filter_and_timestamps(interpolation_stub):
    timestamps = [0.0, 0.1, 0.2, 0.4, 0.8] + [1.0 + i for i in range(15)]
    frames = await collect(interpolation_stub, pb.StreamFrameStatesRequest(
        inline=inline(car(1), car(2), timestamps=timestamps,
                      options=pb.InterpolationOptions(
                          mode=common_pb2.INTERPOLATION_MODE_TIMESTAMP)),
        start_frame=3, end_frame=8, track_ids=[2]))
    assert [f.frame for f in frames] == [3, 4, 5, 6, 7]
    assert [f.timestamp for f in frames] == timestamps[3:8]
    assert {o.track_id for f in frames for o in f.objects} == {2}
    t = (0.4 - 0.0) / (timestamps[10] - 0.0)
    assert list(frames[0].objects[0].coordinates) == pytest.approx(
        [10 * t, 20 * t, 10 + 20 * t, 10 + 30 * t])


async def test_cuboid_half_turn_goes_half_way(interpolation_stub):
    track = pb.Track(track_id=1, category_id=1, geometry_type=CUBOID, keyframes=[
        pb.Keyframe(frame=0, coordinates=[0, 0, 0, 4, 2, 1.5, 0.0]),
        pb.Keyframe(frame=2, coordinates=[2, 0, 0, 4, 2, 1.5, math.pi]),
    ])
    frames = await collect(interpolation_stub, pb.StreamFrameStatesRequest(
        inline=inline(track, frames=3)))
    assert list(frames[1].objects[0].coordinates) == pytest.approx(
        [1, 0, 0, 4, 2, 1.5, math.pi / 2])


async def test_get_frame_state_matches_the_stream(interpolation_stub):
    polygon = pb.Track(track_id=5, category_id=1, geometry_type=POLYGON, keyframes=[
        pb.Keyframe(frame=0, coordinates=[0, 0, 4, 0, 4, 4, 0, 4]),
        pb.Keyframe(frame=8, coordinates=[0, 0, 8, 0, 8, 8, 4, 12, 0, 8]),
    ])
    request = inline(car(), polygon)
    streamed = await collect(interpolation_stub, pb.StreamFrameStatesRequest(inline=request))
    for frame in (0, 3, 15, 19):
        one = await interpolation_stub.GetFrameState(pb.GetFrameStateRequest(
            inline=request, frame=frame))
        assert one.frame_state == streamed[frame]
        assert one.frame_count == 20
    assert len(streamed[3].objects[1].coordinates) == 10  # the larger vertex count


async def test_long_stream_arrives_in_order_and_can_be_cancelled(interpolation_stub):
    tracks = [pb.Track(track_id=i, category_id=1, geometry_type=BBOX, keyframes=[
        pb.Keyframe(frame=0, coordinates=[0, 0, 1, 1]),
        pb.Keyframe(frame=99_999, coordinates=[9, 9, 10, 10])]) for i in range(50)]
    call = interpolation_stub.StreamFrameStates(pb.StreamFrameStatesRequest(
        inline=inline(*tracks, frames=100_000), frames_per_message=100))
    first = await call.read()
    assert [f.frame for f in first.frames] == list(range(100))
    assert len(first.frames[0].objects) == 50
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call.read()
    assert call.cancelled()


@pytest.mark.parametrize(("request_", "field"), [
    (pb.StreamFrameStatesRequest(), "source"),
    (pb.StreamFrameStatesRequest(inline=inline(car(), frames=0)), "inline.frame_count"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, keyframes=[]))),
     "inline.tracks[0].geometry_type"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, geometry_type=BBOX,
        keyframes=[pb.Keyframe(frame=0, coordinates=[1, 2, 3])]))),
     "inline.tracks[0].keyframes[0].coordinates"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, geometry_type=BBOX,
        keyframes=[pb.Keyframe(frame=2, coordinates=[0, 0, 1, 1]),
                   pb.Keyframe(frame=2, coordinates=[0, 0, 1, 1])]))),
     "inline.tracks[0].keyframes[1].frame"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, geometry_type=BBOX,
        keyframes=[pb.Keyframe(frame=25, coordinates=[0, 0, 1, 1])]))),
     "inline.tracks[0].keyframes[0].frame"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, geometry_type=CUBOID,
        keyframes=[pb.Keyframe(frame=0, coordinates=[0, 0, 0, 1, 1, 1, 4.0])]))),
     "inline.tracks[0].keyframes[0].coordinates"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, geometry_type=BBOX,
        keyframes=[pb.Keyframe(frame=0, coordinates=[0, 0, 1, float("nan")])]))),
     "inline.tracks[0].keyframes[0].coordinates"),
    (pb.StreamFrameStatesRequest(inline=inline(pb.Track(track_id=1, geometry_type=BBOX,
        keyframes=[pb.Keyframe(frame=0, coordinates=[0, 0, 1, 1], attributes_json="{")]))),
     "inline.tracks[0].keyframes[0].attributes_json"),
    (pb.StreamFrameStatesRequest(inline=inline(car(1), car(1))), "inline.tracks[1].track_id"),
    (pb.StreamFrameStatesRequest(inline=inline(car(), timestamps=[1.0] * 20)),
     "inline.timestamps[1]"),
    (pb.StreamFrameStatesRequest(inline=inline(car(), timestamps=[1.0, 2.0])),
     "inline.timestamps"),
    (pb.StreamFrameStatesRequest(inline=inline(car(), options=pb.InterpolationOptions(
        mode=common_pb2.INTERPOLATION_MODE_TIMESTAMP))), "inline.timestamps"),
    (pb.StreamFrameStatesRequest(inline=inline(car()), start_frame=30), "start_frame"),
    (pb.StreamFrameStatesRequest(inline=inline(car()), end_frame=21), "end_frame"),
    (pb.StreamFrameStatesRequest(inline=inline(car()), track_ids=[7]), "track_ids[0]"),
    (pb.StreamFrameStatesRequest(inline=inline(car()), frames_per_message=-1),
     "frames_per_message"),
])
async def test_bad_stream_requests_name_the_field(interpolation_stub, request_, field):
    await expect_error(collect(interpolation_stub, request_), INVALID, field)


async def test_bad_get_frame_requests(interpolation_stub):
    await expect_error(interpolation_stub.GetFrameState(pb.GetFrameStateRequest(
        inline=inline(car()), frame=20)), INVALID, "frame")
    await expect_error(interpolation_stub.GetFrameState(pb.GetFrameStateRequest(frame=0)),
                       INVALID, "source")


async def test_stored_label_with_the_labeling_service_down_is_unavailable(interpolation_stub):
    await expect_error(interpolation_stub.GetFrameState(pb.GetFrameStateRequest(
        stored_label=pb.StoredLabel(sample_id="s"), frame=0)), grpc.StatusCode.UNAVAILABLE)
