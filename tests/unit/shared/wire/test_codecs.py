"""Every message the fast codecs touch, per geometry: the fast path equals protobuf's own
encoder and parser (the detailed cases are beside it: test_frame_states.py,
test_keyframes.py, test_release_frames.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.api import wire
from services.interpolation.domain import Geometry, InterpolationPlan, Track
from services.release.build.frame_layouts import Layouts, frame_texts
from tests.unit.shared.wire.test_frame_states import _encoder, _expected, _tracks
from tests.unit.shared.wire.test_keyframes import assert_same
from tests.unit.shared.wire.test_release_frames import _parsed

FRAMES = 8
GEOMETRIES = list(Geometry)


def _of(geometry: Geometry) -> list[Track]:
    if geometry is Geometry.POLYLINE:  # the polygons, open
        return [replace(t, geometry=geometry) for t in _of(Geometry.POLYGON)]
    tracks = [t for t in _tracks() if t.geometry is geometry]
    assert tracks, geometry
    return tracks


def _messages(geometry: Geometry, timestamps: np.ndarray | None,
              per_message: int) -> tuple[list[bytes], list[pb.FrameState]]:
    tracks = _of(geometry)
    plan = InterpolationPlan(tracks, FRAMES)
    encoder = _encoder(plan, tracks, timestamps)
    messages, expected = [], []
    for block in plan.iter_blocks(0, FRAMES, 3):
        messages += encoder.messages(block, FRAMES, per_message=per_message)
        expected += _expected(block, plan, timestamps)
    return messages, expected


@pytest.mark.parametrize("timed", [False, True], ids=["frames", "timestamps"])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: g.name.lower())
def test_stream_frame_states_response(geometry: Geometry, timed: bool) -> None:
    timestamps = np.linspace(0, 0.7, FRAMES) if timed else None
    messages, expected = _messages(geometry, timestamps, per_message=2)
    parsed = [pb.StreamFrameStatesResponse.FromString(m) for m in messages]
    assert [f for p in parsed for f in p.frames] == expected
    assert all(p.frame_count == FRAMES for p in parsed)
    for message, p in zip(messages, parsed, strict=True):
        assert len(message) == len(p.SerializeToString())


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: g.name.lower())
def test_get_frame_state_response(geometry: Geometry) -> None:
    messages, expected = _messages(geometry, np.arange(FRAMES) / 10, per_message=1)
    for message, frame in zip(messages, expected, strict=True):
        parsed = pb.GetFrameStateResponse.FromString(message)
        assert parsed == pb.GetFrameStateResponse(frame_state=frame, frame_count=FRAMES)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: g.name.lower())
def test_release_frames_of_the_encoded_messages(geometry: Geometry, dims: int) -> None:
    layouts = Layouts()
    for timestamps in (None, np.arange(FRAMES) / 10):
        messages, _ = _messages(geometry, timestamps, per_message=4)
        for message in messages:
            extras = [{"timestamp": 1.5}, None, None, {"image_attributes": {"w": 1}}]
            assert frame_texts(message, dims, extras, layouts) == _parsed(message, dims, extras)


def _keyframe(k) -> pb.Keyframe:
    return pb.Keyframe(
        frame=k.frame, removed=k.removed,
        coordinates=[] if k.coords is None else k.coords.reshape(-1).tolist(),
        visibility=[] if k.visibility is None else k.visibility.tolist(),
        attributes_json=json.dumps(k.attributes) if k.attributes else "")


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: g.name.lower())
def test_track_keyframes(geometry: Geometry) -> None:
    tracks = [pb.Track(track_id=t.track_id, category_id=t.category_id,
                       geometry_type=wire.GEOMETRY_TYPE[t.geometry],
                       keyframes=[_keyframe(k) for k in t.keyframes])
              for t in _of(geometry) * 20]  # enough tracks for the vectorised scan
    assert_same(tracks)
