"""Frames of StreamFrameStates messages formatted straight from their wire bytes.

Most frames of a sequence repeat an earlier frame's layout: the same objects (track,
category, geometry, keyframe flag, attributes, visibility), other coordinates. Such a
frame's bytes equal that frame's everywhere but in the coordinates' payloads. So a
layout (those other bytes, where the coordinates lie, one format string for all of the
frame's annotations) is built once with the standard parser; every frame whose bytes
match it, checked byte for byte with numpy, is then one gather of its coordinates and
one `str.format`: no protobuf object and no Python call per object. Anything else (a
new layout, fields in an unexpected place, malformed bytes) goes through the parser
(peers.convert.frame_json); the text is the same either way (tests/unit/shared/wire).
Field numbers and wire types come from the generated descriptors (shared/wire), at import.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from framewise.interpolation.v1 import interpolation_pb2 as ipb
from services.release.domain import states
from services.release.peers import convert as conv
from shared.wire import LEN, Malformed, field, tag
from shared.wire.varint import read as _varint
from shared.wire.varint import skip as _skip

_FRAMES = tag(ipb.StreamFrameStatesResponse, "frames", "message")
_FRAME = tag(ipb.FrameState, "frame", "int32")
_TIMESTAMP = tag(ipb.FrameState, "timestamp", "double")
_OBJECTS = tag(ipb.FrameState, "objects", "message")
# FrameState's fields past the last known one are unknown (skipped); any other is left
# to the parser.
_LAST_FRAME_STATE_FIELD = max(f.number for f in ipb.FrameState.DESCRIPTOR.fields)
_COORDINATES = field(ipb.ObjectState, "coordinates", "double", packed=True).number
_MAX_LAYOUTS = 256  # per worker process; shapes of real sequences are few
_DOUBLE = struct.Struct("<d")


class _Unexpected(Malformed):
    """The bytes are not laid out as this reader expects: the parser takes them (so do
    malformed varints and groups: shared.wire.Malformed)."""


def _frame_bounds(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each frame of a message, in order."""
    bounds = []
    at = 0
    while at < len(data):
        tag, at = _varint(data, at)
        if tag >> 3 == 0:
            raise _Unexpected
        if tag == _FRAMES:
            length, at = _varint(data, at)
            bounds.append((at, at + length))
            at += length
        elif tag >> 3 == _FRAMES >> 3:
            raise _Unexpected
        else:
            at = _skip(data, at, tag & 7)
        if at > len(data):
            raise _Unexpected
    return bounds


def _frame_head(data: bytes, start: int, end: int) -> tuple[float | None, int]:
    """A frame's timestamp (None when absent) and where its objects start; fields that
    follow the first object are left to the layout."""
    timestamp = None
    at = start
    while at < end:
        tag, after = _varint(data, at)
        if tag == _OBJECTS:
            return timestamp, at
        if tag == _TIMESTAMP:
            if after + 8 > end:
                raise _Unexpected
            timestamp = _DOUBLE.unpack_from(data, after)[0]
            at = after + 8
        elif tag == _FRAME or tag >> 3 > _LAST_FRAME_STATE_FIELD:
            at = _skip(data, after, tag & 7)
        else:
            raise _Unexpected
    if at != end:
        raise _Unexpected
    return timestamp, end


@dataclass(frozen=True)
class Layout:
    """The objects of a frame, from their first byte: `skeleton` (S,) int64 offsets of
    every byte besides the coordinates, `expected` (S,) uint8 their values, `coordinates`
    (C,) int64 the offset of each coordinate, `text` %-formatted with the C coordinates:
    the annotations' JSON."""

    skeleton: np.ndarray
    expected: np.ndarray
    coordinates: np.ndarray
    text: str


def _object_template(state: ipb.ObjectState, dims: int) -> tuple[str, int]:
    """states.template as a %-format with this object's fixed values written in, its
    coordinates `%r` in order (%-formatting a frame is faster here than str.format), and
    how many of the first coordinates it writes (a template may not use them all)."""
    geometry = conv.GEOMETRY_NAMES[state.geometry_type]
    flags = list(state.visibility) if geometry == "keypoints" else []
    fixed = [str(state.track_id), str(state.category_id),
             "true" if state.is_keyframe else "false", state.attributes_json or "{}",
             *(str(f) for f in flags)]
    out = []
    expected = len(fixed)
    for literal, name, spec, conversion in Formatter().parse(
            states.template(geometry, len(state.coordinates), len(flags), dims)):
        out.append(literal.replace("%", "%%"))
        if name is None:
            continue
        k = int(name)
        if spec:
            raise _Unexpected
        if k < len(fixed):
            if conversion is not None:
                raise _Unexpected
            out.append(fixed[k].replace("%", "%%"))
        elif k == expected and conversion == "r":
            out.append("%r")
            expected += 1
        else:
            raise _Unexpected
    return "".join(out), expected - len(fixed)


def build_layout(region: bytes, dims: int) -> Layout:
    """The layout of a frame whose objects are `region`: only objects fields, each
    parsed by the standard parser."""
    coordinates: list[int] = []  # of every coordinate, written or not
    written: list[int] = []
    templates: list[str] = []
    at = 0
    while at < len(region):
        tag, at = _varint(region, at)
        if tag != _OBJECTS:
            raise _Unexpected
        length, at = _varint(region, at)
        end = at + length
        if end > len(region):
            raise _Unexpected
        first = len(coordinates)
        field = at
        while field < end:
            tag, field = _varint(region, field)
            if tag >> 3 != _COORDINATES:
                field = _skip(region, field, tag & 7)
                continue
            if tag & 7 != LEN:
                raise _Unexpected
            size, field = _varint(region, field)
            if size % 8:
                raise _Unexpected
            coordinates.extend(range(field, field + size, 8))
            field += size
        if field != end:
            raise _Unexpected
        state = ipb.ObjectState.FromString(region[at:end])
        if len(state.coordinates) != len(coordinates) - first:
            raise _Unexpected
        text, used = _object_template(state, dims)
        templates.append(text)
        written.extend(coordinates[first:first + used])
        at = end
    kept = np.ones(len(region), dtype=bool)
    coordinate_at = np.array(coordinates, dtype=np.int64)
    for byte in range(8):
        kept[coordinate_at + byte] = False
    skeleton = np.flatnonzero(kept)
    return Layout(skeleton, np.frombuffer(region, dtype=np.uint8)[skeleton],
                  np.array(written, dtype=np.int64),
                  ",".join(templates))


class Layouts:
    """Layouts seen so far (in a worker process), by (point dimension, objects' size)."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], list[Layout]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def candidates(self, dims: int, size: int) -> list[Layout]:
        return self._known.get((dims, size), [])

    def add(self, dims: int, size: int, layout: Layout) -> None:
        if self._count >= _MAX_LAYOUTS:
            self._known.clear()
            self._count = 0
        self._known.setdefault((dims, size), []).insert(0, layout)
        self._count += 1


LAYOUTS = Layouts()


def _parsed(data: bytes, start: int, end: int, dims: int,
            stored: dict[str, Any] | None) -> str:
    return conv.frame_json(ipb.FrameState.FromString(data[start:end]), dims, stored)


def frame_texts(data: bytes, dims: int, extras: Sequence[dict[str, Any] | None],
                layouts: Layouts = LAYOUTS) -> list[str] | None:
    """The JSON of each frame of a StreamFrameStates message, as peers.convert.frame_json
    writes it, or None when the message is not laid out as expected (parse it then).

    extras: per frame of the message, what the stored label adds (timestamp, ...)."""
    try:
        bounds = _frame_bounds(data)
        heads = [_frame_head(data, start, end) for start, end in bounds]
    except Malformed:
        return None
    if len(extras) < len(bounds):
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    doubles = (np.ndarray(shape=(len(data) - 7,), dtype="<f8", buffer=data, strides=(1,))
               if len(data) >= 8 else None)
    annotations: list[str | None] = [None] * len(bounds)
    by_size: dict[int, list[int]] = {}
    for i, ((_, end), (_, objects_at)) in enumerate(zip(bounds, heads, strict=True)):
        by_size.setdefault(end - objects_at, []).append(i)
    builds_left = 8 + len(bounds) // 8  # frames of ever new layouts go to the parser
    for size, members in by_size.items():
        rest = np.array(members, dtype=np.int64)
        starts = np.array([heads[i][1] for i in members], dtype=np.int64)
        tried = 0
        while rest.size:
            known = layouts.candidates(dims, size)
            if tried < len(known):
                layout = known[tried]
                tried += 1
            else:
                if builds_left <= 0:
                    break
                builds_left -= 1
                i = int(rest[0])
                try:
                    layout = build_layout(data[starts[0]:bounds[i][1]], dims)
                except (_Unexpected, DecodeError, KeyError, ValueError):
                    rest, starts = rest[1:], starts[1:]  # this frame goes to the parser
                    continue
                layouts.add(dims, size, layout)
                tried = len(layouts.candidates(dims, size))  # the older ones failed
            match = (buffer[starts[:, None] + layout.skeleton] == layout.expected).all(axis=1)
            if not match.any():
                continue
            if layout.coordinates.size:
                assert doubles is not None
                rows = doubles[starts[match][:, None] + layout.coordinates].tolist()
                for i, row in zip(rest[match].tolist(), rows, strict=True):
                    annotations[i] = layout.text % tuple(row)
            else:
                text = layout.text % ()
                for i in rest[match].tolist():
                    annotations[i] = text
            rest, starts = rest[~match], starts[~match]
    return [conv.frame_text(text, heads[i][0], extras[i]) if text is not None
            else _parsed(data, *bounds[i], dims, extras[i])
            for i, text in enumerate(annotations)]
