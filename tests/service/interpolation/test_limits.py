"""The interpolation service's limits: a request just at each limit is served, one just over
is INVALID_ARGUMENT naming the field and the limit, before anything is computed."""

from __future__ import annotations

import json
from typing import Any

import grpc

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from shared import limits as L
from tests.support.errors import expect_error, expect_limit, field_violations

BBOX = common_pb2.GEOMETRY_TYPE_BBOX
POLYGON = common_pb2.GEOMETRY_TYPE_POLYGON


def _box(track_id: int, frame: int = 0, **fields: Any) -> pb.Track:
    return pb.Track(track_id=track_id, geometry_type=BBOX, keyframes=[
        pb.Keyframe(frame=frame, coordinates=[0, 0, 1, 1], **fields)])


def _get(frames: int, *tracks: pb.Track, **fields: Any) -> pb.GetFrameStateRequest:
    return pb.GetFrameStateRequest(inline=pb.InlineTracks(tracks=tracks, frame_count=frames),
                                   **fields)


def _stream(frames: int, *tracks: pb.Track, **fields: Any) -> pb.StreamFrameStatesRequest:
    return pb.StreamFrameStatesRequest(
        inline=pb.InlineTracks(tracks=tracks, frame_count=frames), **fields)


async def _first(stub: Any, request: pb.StreamFrameStatesRequest) -> pb.StreamFrameStatesResponse:
    """The first message of a stream, which is then cancelled."""
    call = stub.StreamFrameStates(request)
    try:
        return await call.read()
    finally:
        call.cancel()


async def _drain(stream: Any) -> list[Any]:
    return [item async for item in stream]


async def test_tracks_keyframes_and_vertices_at_and_over_their_limits(interpolation_stub):
    get = interpolation_stub.GetFrameState
    # At the limits every track and keyframe is read: the first one is bad on purpose, so
    # the answer names it (planning 100,000 tracks takes seconds, the test stays fast).
    tracks = [_box(i) for i in range(L.MAX_TRACKS)]
    tracks[0].geometry_type = common_pb2.GEOMETRY_TYPE_UNSPECIFIED
    ids = list(range(L.MAX_TRACKS))
    await expect_error(get(_get(1, *tracks, track_ids=ids)), grpc.StatusCode.INVALID_ARGUMENT,
                       "inline.tracks[0].geometry_type")
    await expect_limit(get(_get(1, *tracks, _box(L.MAX_TRACKS))), "inline.tracks", L.MAX_TRACKS)
    await expect_limit(get(_get(1, _box(0), track_ids=[*ids, 0])), "track_ids", L.MAX_TRACKS)
    del tracks
    # ... and a few thousand tracks are served whole
    state = await get(_get(1, *[_box(i) for i in range(2000)]))
    assert len(state.frame_state.objects) == 2000

    frames = L.MAX_KEYFRAMES + 1
    track = pb.Track(track_id=1, geometry_type=BBOX, keyframes=[
        pb.Keyframe(frame=f, coordinates=[f, 0, f + 1, 1]) for f in range(L.MAX_KEYFRAMES)])
    del track.keyframes[0].coordinates[-1]
    await expect_error(get(_get(frames, track)), grpc.StatusCode.INVALID_ARGUMENT,
                       "inline.tracks[0].keyframes[0].coordinates")
    track.keyframes.add(frame=L.MAX_KEYFRAMES, coordinates=[0, 0, 1, 1])
    await expect_limit(get(_get(frames, track)), "inline.tracks[0].keyframes", L.MAX_KEYFRAMES)
    del track

    def polygon(vertices: int) -> pb.Track:
        return pb.Track(track_id=1, geometry_type=POLYGON, keyframes=[pb.Keyframe(
            frame=0, coordinates=[v for i in range(vertices) for v in (i, i % 7)])])

    state = await get(_get(1, polygon(L.MAX_VERTICES)))
    assert len(state.frame_state.objects[0].coordinates) == 2 * L.MAX_VERTICES
    await expect_limit(get(_get(1, polygon(L.MAX_VERTICES + 1))),
                       "inline.tracks[0].keyframes[0].coordinates", L.MAX_VERTICES)


async def test_frames_messages_and_stream_size_at_and_over_their_limits(interpolation_stub):
    get = interpolation_stub.GetFrameState
    state = await get(_get(L.MAX_INLINE_FRAMES, _box(1), frame=L.MAX_INLINE_FRAMES - 1))
    assert state.frame_count == L.MAX_INLINE_FRAMES
    await expect_limit(get(_get(L.MAX_INLINE_FRAMES + 1, _box(1))), "inline.frame_count",
                       L.MAX_INLINE_FRAMES)

    first = await _first(interpolation_stub, _stream(
        L.MAX_FRAMES_PER_MESSAGE, _box(1), frames_per_message=L.MAX_FRAMES_PER_MESSAGE))
    assert len(first.frames) == L.MAX_FRAMES_PER_MESSAGE
    await expect_limit(_drain(interpolation_stub.StreamFrameStates(_stream(
        10, _box(1), frames_per_message=L.MAX_FRAMES_PER_MESSAGE + 1))),
        "frames_per_message", L.MAX_FRAMES_PER_MESSAGE)

    # frames x tracks: at the limit the stream starts; over it, nothing is computed
    frames = L.MAX_INLINE_FRAMES
    tracks = [_box(i) for i in range(L.MAX_STREAM_STATES // frames)]
    assert len(tracks) * frames == L.MAX_STREAM_STATES
    first = await _first(interpolation_stub, _stream(frames, *tracks))
    assert first.frames[0].frame == 0 and len(first.frames[0].objects) == len(tracks)
    over = _stream(frames, *tracks, _box(len(tracks)))
    await expect_limit(_drain(interpolation_stub.StreamFrameStates(over)), "end_frame",
                       L.MAX_STREAM_STATES)
    over.end_frame = frames // 2  # a range of the frames is within the limit again
    first = await _first(interpolation_stub, over)
    assert first.frames[0].frame == 0


async def test_json_and_ids_at_and_over_their_limits(interpolation_stub):
    get = interpolation_stub.GetFrameState
    # A JSON document over MAX_JSON_BYTES is refused before it is parsed (one at the
    # limit is read in tests/service/dataset/test_limits.py).
    document = '{"note":"' + "n" * (L.MAX_JSON_BYTES - len('{"note":""}')) + '"} '
    await expect_limit(get(_get(1, _box(1, attributes_json=document))),
                       "inline.tracks[0].keyframes[0].attributes_json", L.MAX_JSON_BYTES)
    del document
    deep = "{" + '"a":{' * (L.MAX_JSON_DEPTH - 1) + "}" * L.MAX_JSON_DEPTH
    await get(_get(1, _box(1, attributes_json=deep)))
    deeper = "{" + '"a":{' * L.MAX_JSON_DEPTH + "}" * (L.MAX_JSON_DEPTH + 1)
    await expect_limit(get(_get(1, _box(1, attributes_json=deeper))),
                       "inline.tracks[0].keyframes[0].attributes_json" + ".a" * L.MAX_JSON_DEPTH,
                       L.MAX_JSON_DEPTH)

    # A stored label's ids (at their limits they are looked up: see the labeling tests)
    stored = pb.StoredLabel(sample_id="s" * (L.MAX_ID_LENGTH + 1),
                            label_set="l" * (L.MAX_NAME_LENGTH + 1))
    error = await expect_limit(get(pb.GetFrameStateRequest(stored_label=stored)),
                               "stored_label.sample_id", L.MAX_ID_LENGTH)
    assert f"at most {L.MAX_NAME_LENGTH}" in field_violations(error)["stored_label.label_set"]


def _wide(track_id: int, state_bytes: int) -> pb.Track:
    """A bbox track whose state takes `state_bytes` as servicer.widest_state counts it."""
    fixed = 64 + 8 * 4 + len('{"note":""}')
    return _box(track_id, attributes_json=json.dumps({"note": "n" * (state_bytes - fixed)}))


async def test_wide_objects_at_and_over_their_limits(interpolation_stub):
    get = interpolation_stub.GetFrameState
    widest = L.MAX_OBJECT_STATE_BYTES
    state = await get(_get(3, _wide(1, widest)))
    assert len(state.frame_state.objects[0].attributes_json) > widest - 200
    await expect_limit(get(_get(3, _wide(1, widest + 1))), "inline.tracks",
                       L.MAX_OBJECT_STATE_BYTES)
    # One message's states are encoded as wide as the widest: frames x objects x widest
    # is bounded (refused before anything is encoded).
    tracks = L.MAX_FRAME_ENCODING_BYTES // widest
    wide = [_wide(0, widest), *[_box(i) for i in range(1, tracks)]]
    await expect_limit(_drain(interpolation_stub.StreamFrameStates(_stream(
        100, *wide, _box(tracks)))), "inline.tracks", L.MAX_FRAME_ENCODING_BYTES)
    await expect_limit(_drain(interpolation_stub.StreamFrameStates(_stream(
        100, *wide, frames_per_message=2))), "frames_per_message", L.MAX_FRAME_ENCODING_BYTES)
    # asking for fewer tracks is within the limit again
    first = await _first(interpolation_stub, _stream(100, *wide, _box(tracks), track_ids=[0, 1]))
    assert len(first.frames[0].objects) == 2
