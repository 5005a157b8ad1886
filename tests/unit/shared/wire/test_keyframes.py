"""Keyframes read from the wire with numpy (services/interpolation/api/wire_in.py) equal
what the protobuf runtime reads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.api import wire_in
from services.interpolation.api.converters import keyframes_by_message

INT32 = st.integers(-(2**31), 2**31 - 1)
# Unknown fields a newer client may send: a varint, a double, bytes, a fixed32.
UNKNOWN = st.sampled_from([b"", b"\xb8\x06\x2a", b"\xb9\x06" + bytes(8),
                           b"\xba\x06\x03abc", b"\xbd\x06" + bytes(4)])


@st.composite
def keyframes(draw) -> pb.Keyframe:
    message = pb.Keyframe(
        frame=draw(INT32),
        removed=draw(st.booleans()),
        coordinates=draw(st.lists(st.floats(allow_nan=False), max_size=12)),
        visibility=draw(st.lists(INT32, max_size=5)),
        attributes_json=draw(st.sampled_from(["", '{"a": 1}', '{"ü": "ñ"}'])),
    )
    return pb.Keyframe.FromString(message.SerializeToString() + draw(UNKNOWN))


@st.composite
def tracks(draw) -> pb.Track:
    message = pb.Track(track_id=draw(INT32), keyframes=draw(st.lists(keyframes(), max_size=6)))
    return pb.Track.FromString(message.SerializeToString() + draw(UNKNOWN))


def assert_same(given_tracks: list[pb.Track]) -> None:
    got = wire_in.read_keyframes(given_tracks)
    expected = keyframes_by_message(given_tracks)
    for name, value in vars(expected).items():
        if isinstance(value, list):
            assert getattr(got, name) == value, name
        else:
            np.testing.assert_array_equal(getattr(got, name), value, err_msg=name)
            assert getattr(got, name).dtype.kind == value.dtype.kind, name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tracks(), max_size=80))
def test_read_keyframes_equals_the_runtime(given_tracks: list[pb.Track]) -> None:
    # Up to 80 tracks: scanned together, then the last few in Python (SCALAR_BELOW).
    assert_same(given_tracks)


def test_one_track_with_many_keyframes_and_many_tracks_with_few() -> None:
    rng = np.random.default_rng(7)
    long = pb.Track(track_id=1, keyframes=[
        pb.Keyframe(frame=f, coordinates=rng.random(4).tolist(), visibility=[1, 300])
        for f in range(3000)])
    short = [pb.Track(track_id=i, keyframes=[pb.Keyframe(frame=i, removed=True)])
             for i in range(100)]
    assert_same([long, *short])


def test_groups_are_left_to_the_slow_path() -> None:
    group = b"\xbb\x06\x08\x01\xbc\x06"  # field 103, start group .. end group
    track = pb.Track.FromString(pb.Track(track_id=3).SerializeToString() + group)
    with pytest.raises(wire_in.Unsupported):
        wire_in.read_keyframes([track])
