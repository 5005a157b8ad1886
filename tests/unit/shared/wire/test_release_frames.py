"""Frames formatted from their wire bytes (services/release/build/frame_layouts.py) are
the frames the parser path writes."""

from __future__ import annotations

import json
import math

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from services.release.build.frame_layouts import Layouts, frame_texts
from services.release.peers import convert as conv

G = common_pb2

# (geometry, coordinates, visibility, attributes): every shape a frame can hold.
OBJECTS = [
    (G.GEOMETRY_TYPE_BBOX, [0.1, 2.0, 1e-7, 123456789.125], [], ""),
    (G.GEOMETRY_TYPE_POINT, [1.5, -2.5, 3.0], [], '{"note":"100% {sure}"}'),
    (G.GEOMETRY_TYPE_POLYGON, [0.0, 0.0, 4.0, 0.0, 4.0, 3.0], [], ""),
    (G.GEOMETRY_TYPE_POLYLINE, [0.0, 0.0, 1.0, 4.0, 0.0, 2.0], [], '{"a":"%r {0}"}'),
    (G.GEOMETRY_TYPE_KEYPOINTS, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 0, 1], ""),
    (G.GEOMETRY_TYPE_CUBOID, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -math.pi], [], ""),
    (G.GEOMETRY_TYPE_CUBOID, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, 0.0, 0.0, 0.247, 0.969],
     [], '{"occluded":true,"q":"a \\"quoted\\" value"}'),
]


def _frame(frame: int, shift: float, with_time: bool) -> ipb.FrameState:
    state = ipb.FrameState(frame=frame)
    if with_time:
        state.timestamp = frame / 30 + 1e-9
    for k, (geometry, coords, flags, attributes) in enumerate(OBJECTS):
        state.objects.add(track_id=k + 1, category_id=k % 3, geometry_type=geometry,
                          is_keyframe=(frame + k) % 4 == 0,
                          coordinates=[c + shift * (j + 1) for j, c in enumerate(coords)],
                          visibility=flags, attributes_json=attributes)
    return state


def _message(frames: list[ipb.FrameState]) -> bytes:
    return ipb.StreamFrameStatesResponse(frames=frames, frame_count=100).SerializeToString()


def _parsed(data: bytes, dims: int, extras: list) -> list[str]:
    message = ipb.StreamFrameStatesResponse.FromString(data)
    return [conv.frame_json(s, dims, extras[i]) for i, s in enumerate(message.frames)]


def _extras(count: int) -> list:
    return [{"timestamp": i / 10, "image_attributes": {"w": i}} if i % 3 else None
            for i in range(count)]


def test_every_shape_with_repeating_layouts_is_written_as_the_parser_path_writes_it():
    layouts = Layouts()
    for dims in (2, 3):
        for start in (0, 20):  # the second message reuses the first one's layouts
            frames = [_frame(f, f * 0.37 + 1e-13 * f, with_time=f % 2 == 0)
                      for f in range(start, start + 20)]
            data = _message(frames)
            extras = _extras(len(frames))
            texts = frame_texts(data, dims, extras, layouts)
            assert texts == _parsed(data, dims, extras)
            parsed = json.loads("[" + ",".join(texts) + "]")
            f = start + 1
            assert parsed[1]["annotations"][0]["points"][0][0] == 0.1 + (f * 0.37 + 1e-13 * f)
    # Built once per keyframe pattern and point dimension (4 x 2), reused by the others.
    assert len(layouts) == 8


def test_frames_laid_out_otherwise_go_through_the_parser_with_the_same_text():
    layouts = Layouts()
    frames = [_frame(f, f * 0.5, with_time=False) for f in range(6)]
    data = bytearray(_message(frames))
    # A timestamp after a frame's objects, and an unknown field: valid, not the usual order.
    odd = _frame(6, 3.5, with_time=False).SerializeToString() + ipb.FrameState(
        timestamp=9.25).SerializeToString() + b"\x98\x06\x01"
    data += b"\x0a" + bytes([len(odd) & 0x7F | 0x80, len(odd) >> 7]) + odd
    extras = _extras(7)
    texts = frame_texts(bytes(data), 2, extras, layouts)
    assert texts == _parsed(bytes(data), 2, extras)
    assert json.loads(texts[6])["timestamp"] == 9.25


def test_empty_frames_and_a_message_with_no_frames():
    layouts = Layouts()
    data = _message([ipb.FrameState(frame=3), ipb.FrameState(frame=4, timestamp=0.5)])
    assert frame_texts(data, 2, [None, None], layouts) == _parsed(data, 2, [None, None])
    assert frame_texts(ipb.StreamFrameStatesResponse(frame_count=3).SerializeToString(),
                       2, [], layouts) == []


def test_malformed_bytes_are_left_to_the_parser():
    data = _message([_frame(0, 0.0, with_time=True)])
    assert frame_texts(data[:-5], 2, [None], Layouts()) is None
