"""The fast codecs' field keys are the contract's (shared/wire/layout.py): each equals
the key protobuf writes, and a changed contract changes them or fails loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.api import wire, wire_in
from services.release.build import frame_layouts
from shared.wire import Field, LayoutError, field, key, short_tag, tag
from shared.wire.varint import encode

CODECS = [wire, wire_in, frame_layouts]
P = pytest.param

# Every key the codecs use, with a message holding only that field: protobuf writes the
# key first.
KEYS = [
    P(wire._TRACK_ID, pb.ObjectState(track_id=1), id="wire.ObjectState.track_id"),
    P(wire._CATEGORY_ID, pb.ObjectState(category_id=1), id="wire.ObjectState.category_id"),
    P(wire._GEOMETRY, pb.ObjectState(geometry_type=1), id="wire.ObjectState.geometry_type"),
    P(wire._IS_KEYFRAME, pb.ObjectState(is_keyframe=True), id="wire.ObjectState.is_keyframe"),
    P(wire._COORDINATES, pb.ObjectState(coordinates=[1.0]), id="wire.ObjectState.coordinates"),
    P(wire._VISIBILITY, pb.ObjectState(visibility=[1]), id="wire.ObjectState.visibility"),
    P(wire._ATTRIBUTES, pb.ObjectState(attributes_json="{}"),
      id="wire.ObjectState.attributes_json"),
    P(wire._OBJECTS, pb.FrameState(objects=[pb.ObjectState()]), id="wire.FrameState.objects"),
    P(wire._FRAME_KEY, pb.FrameState(frame=1), id="wire.FrameState.frame"),
    P(wire._TIMESTAMP_KEY, pb.FrameState(timestamp=0.0), id="wire.FrameState.timestamp"),
    P(wire._FRAMES_KEY, pb.StreamFrameStatesResponse(frames=[pb.FrameState()]),
      id="wire.StreamFrameStatesResponse.frames"),
    P(wire._FRAME_COUNT_KEY, pb.StreamFrameStatesResponse(frame_count=1),
      id="wire.StreamFrameStatesResponse.frame_count"),
    P(wire._FRAMES_KEY, pb.GetFrameStateResponse(frame_state=pb.FrameState()),
      id="wire.GetFrameStateResponse.frame_state"),
    P(wire._FRAME_COUNT_KEY, pb.GetFrameStateResponse(frame_count=1),
      id="wire.GetFrameStateResponse.frame_count"),
    P(wire_in._KEYFRAMES, pb.Track(keyframes=[pb.Keyframe()]), id="wire_in.Track.keyframes"),
    P(wire_in._FRAME, pb.Keyframe(frame=1), id="wire_in.Keyframe.frame"),
    P(wire_in._REMOVED, pb.Keyframe(removed=True), id="wire_in.Keyframe.removed"),
    P(wire_in._COORDINATES, pb.Keyframe(coordinates=[1.0]), id="wire_in.Keyframe.coordinates"),
    P(wire_in._VISIBILITY, pb.Keyframe(visibility=[1]), id="wire_in.Keyframe.visibility"),
    P(wire_in._ATTRIBUTES, pb.Keyframe(attributes_json="{}"),
      id="wire_in.Keyframe.attributes_json"),
    P(frame_layouts._FRAMES, pb.StreamFrameStatesResponse(frames=[pb.FrameState()]),
      id="frame_layouts.StreamFrameStatesResponse.frames"),
    P(frame_layouts._FRAME, pb.FrameState(frame=1), id="frame_layouts.FrameState.frame"),
    P(frame_layouts._TIMESTAMP, pb.FrameState(timestamp=1.0),
      id="frame_layouts.FrameState.timestamp"),
    P(frame_layouts._OBJECTS, pb.FrameState(objects=[pb.ObjectState()]),
      id="frame_layouts.FrameState.objects"),
    P(frame_layouts._COORDINATES << 3 | 2, pb.ObjectState(coordinates=[1.0]),
      id="frame_layouts.ObjectState.coordinates"),
]


@pytest.mark.parametrize(("constant", "message"), KEYS)
def test_every_codec_key_is_the_key_protobuf_writes(constant: int | bytes | Field,
                                                    message) -> None:
    expected = (constant.key if isinstance(constant, Field)
                else constant if isinstance(constant, bytes) else encode(constant))
    assert message.SerializeToString().startswith(expected)


def test_the_unknown_frame_state_fields_start_past_the_last_known_one() -> None:
    last = max(f.number for f in pb.FrameState.DESCRIPTOR.fields)
    assert last == frame_layouts._LAST_FRAME_STATE_FIELD


@pytest.mark.parametrize("module", CODECS, ids=lambda m: m.__name__)
def test_the_codecs_write_no_literal_key(module) -> None:
    """Keys come from the descriptors: no hex literal or byte escape in a codec."""
    source = Path(module.__file__).read_text()
    assert not re.findall(r"0x[0-9a-fA-F]+|\\x[0-9a-fA-F]{2}", source)


def test_layout_of_a_field() -> None:
    coordinates = field(pb.ObjectState, "coordinates", "double", packed=True)
    assert (coordinates.number, coordinates.wire_type, coordinates.element_wire_type,
            coordinates.packed) == (5, 2, 1, True)
    assert coordinates.tag == 0x2A and coordinates.key == b"\x2a"
    assert field(pb.FrameState.DESCRIPTOR, "timestamp", "double").wire_type == 1
    assert tag(pb.FrameState, "objects", "message") == 0x1A
    assert key(pb.ObjectState, "attributes_json", "string") == b"\x3a"


def _pool_with(change) -> descriptor_pool.DescriptorPool:
    """A pool holding interpolation.proto changed by `change(FileDescriptorProto)`, as if
    the contract had been edited (its dependencies as they are)."""
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(file: FileDescriptor, proto_change=None) -> None:
        for dependency in file.dependencies:
            if dependency.name not in added:
                add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        if proto_change:
            proto_change(proto)
        pool.Add(proto)
        added.add(file.name)

    add(pb.DESCRIPTOR, change)
    return pool


def _object_state(proto: descriptor_pb2.FileDescriptorProto):
    return next(m for m in proto.message_type if m.name == "ObjectState")


def _coordinates(proto: descriptor_pb2.FileDescriptorProto):
    return next(f for f in _object_state(proto).field if f.name == "coordinates")


def _changed(change) -> object:
    return _pool_with(change).FindMessageTypeByName("framewise.interpolation.v1.ObjectState")


def test_a_renumbered_field_is_followed() -> None:
    def renumber(proto) -> None:
        _coordinates(proto).number = 9

    coordinates = field(_changed(renumber), "coordinates", "double", packed=True)
    assert (coordinates.number, coordinates.tag) == (9, 0x4A)


def test_a_renamed_field_fails_loudly() -> None:
    def rename(proto) -> None:
        _coordinates(proto).name = "points"

    with pytest.raises(LayoutError, match="ObjectState has no field 'coordinates'"):
        field(_changed(rename), "coordinates", "double")


def test_a_retyped_or_unpacked_field_fails_loudly() -> None:
    def to_float(proto) -> None:
        _coordinates(proto).type = descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT

    with pytest.raises(LayoutError, match="is float, a fast wire codec expects double"):
        field(_changed(to_float), "coordinates", "double")

    def unpack(proto) -> None:
        _coordinates(proto).options.packed = False

    unpacked = _changed(unpack)
    with pytest.raises(LayoutError, match="not packed"):
        field(unpacked, "coordinates", "double", packed=True)
    assert field(unpacked, "coordinates", "double").wire_type == 1  # one double per field
    with pytest.raises(LayoutError, match="expects int32"):
        field(pb.ObjectState, "coordinates", "int32")


def test_a_key_written_as_one_byte_needs_a_field_number_below_16() -> None:
    def renumber(proto) -> None:
        _coordinates(proto).number = 16

    with pytest.raises(LayoutError, match="one byte"):
        short_tag(_changed(renumber), "coordinates", "double")
    assert key(_changed(renumber), "coordinates", "double") == b"\x82\x01"
