"""Keyframes read from their protobuf wire format with numpy, not message by message.

Reading a repeated message field from Python costs about a microsecond per element and
field, more than the rest of a request's set-up. So the keyframes of a request are read
from the serialized tracks: the fields of all messages of one level are scanned at once,
one field of every message per step (the last few messages with many fields go on alone,
in Python). The bytes come from the parsed request (`SerializeToString`), so they are
well formed; unknown fields are skipped, and groups (wire types 3 and 4, unknown fields
only) raise `Unsupported` for the caller's slow path. Field numbers and wire types come
from the generated descriptors (shared/wire), at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from framewise.interpolation.v1 import interpolation_pb2 as pb
from shared.wire import I32 as _I32
from shared.wire import I64 as _I64
from shared.wire import LEN as _LEN
from shared.wire import MAX_VARINT as _MAX_VARINT
from shared.wire import VARINT as _VARINT
from shared.wire import Malformed, field
from shared.wire.varint import read as _read_varint
from shared.wire.varint import read_many as _varints
from shared.wire.varint import read_packed

# Below this many messages left, a scan step costs more than reading them in Python.
SCALAR_BELOW = 32
_KEYFRAMES = field(pb.Track, "keyframes", "message")
_FRAME = field(pb.Keyframe, "frame", "int32")
_REMOVED = field(pb.Keyframe, "removed", "bool")
_COORDINATES = field(pb.Keyframe, "coordinates", "double")  # packed or not
_VISIBILITY = field(pb.Keyframe, "visibility", "int32")  # packed or not
_ATTRIBUTES = field(pb.Keyframe, "attributes_json", "string")


class Unsupported(ValueError):
    """Bytes this reader does not handle (groups); read the message the slow way."""


@dataclass(frozen=True, eq=False)
class Fields:
    """R field occurrences of N messages, ordered by (message, position in the message).

    message, number, wire_type: (R,) int64; value: (R,) uint64, a varint's value;
    start, stop: (R,) int64, the payload's bytes (a LEN's content, an I64's 8 bytes, ...).
    """

    message: np.ndarray
    number: np.ndarray
    wire_type: np.ndarray
    value: np.ndarray
    start: np.ndarray
    stop: np.ndarray

    def select(self, number: int, *wire_types: int) -> Fields:
        """The occurrences of field `number` with one of `wire_types` (others are unknown
        fields that happen to share the number), in order."""
        kind = self.wire_type
        keep = (self.number == number) & np.logical_or.reduce([kind == k for k in wire_types])
        return Fields(*(a[keep] for a in (self.message, self.number, self.wire_type,
                                         self.value, self.start, self.stop)))

    def last(self, n: int, number: int, default: int = 0) -> np.ndarray:
        """(n,) uint64: per message, the last varint of field `number` (proto3: the last
        occurrence wins), else `default`."""
        f = self.select(number, _VARINT)
        out = np.full(n, default, dtype=np.uint64)
        if f.message.size:
            final = np.append(f.message[1:] != f.message[:-1], True)
            out[f.message[final]] = f.value[final]
        return out


def _scan_one(data: bytes, pos: int, stop: int) -> list[tuple[int, int, int, int, int]]:
    """The fields of one message, in Python: (number, wire type, value, start, stop)."""
    out = []
    while pos < stop:
        tag, pos = _read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        value, start = 0, pos
        if wire_type == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire_type == _I64:
            pos += 8
        elif wire_type == _I32:
            pos += 4
        elif wire_type == _LEN:
            size, start = _read_varint(data, pos)
            pos = start + size
        else:
            raise Unsupported(f"wire type {wire_type}")
        if number == 0 or pos > stop:
            raise Unsupported("malformed field")
        out.append((number, wire_type, value, start, pos))
    return out


def scan(data: bytes, starts: np.ndarray, stops: np.ndarray) -> Fields:
    """The fields of the messages at data[starts[i]:stops[i]], for all i at once."""
    try:
        return _scan(data, starts, stops)
    except Malformed as error:
        raise Unsupported(str(error)) from error


def _scan(data: bytes, starts: np.ndarray, stops: np.ndarray) -> Fields:
    buf = np.frombuffer(data + bytes(_MAX_VARINT), dtype=np.uint8)
    parts: list[tuple[np.ndarray, ...]] = []
    msg = np.flatnonzero(starts < stops)
    pos, end = starts[msg].astype(np.int64), stops[msg].astype(np.int64)
    while msg.size >= SCALAR_BELOW:
        tag, tag_len = _varints(buf, pos)
        number, wire_type = (tag >> np.uint64(3)).astype(np.int64), (tag & np.uint64(7)).astype(
            np.int64)
        start = pos + tag_len
        stop = start.copy()
        value = np.zeros(msg.shape[0], dtype=np.uint64)
        for kind, size in ((_I64, 8), (_I32, 4)):
            stop[wire_type == kind] += size
        for kind in (_VARINT, _LEN):
            at = np.flatnonzero(wire_type == kind)
            if at.size:
                v, n = _varints(buf, start[at])
                if kind == _VARINT:
                    value[at], stop[at] = v, start[at] + n
                else:
                    start[at] += n
                    stop[at] = start[at] + v.astype(np.int64)
        if ((wire_type == 3) | (wire_type == 4) | (wire_type > _I32)).any():
            raise Unsupported("group or unknown wire type")
        if (number == 0).any() or (stop > end).any():
            raise Unsupported("malformed field")
        parts.append((msg, number, wire_type, value, start, stop))
        going = stop < end
        msg, pos, end = msg[going], stop[going], end[going]
    for m, p, e in zip(msg.tolist(), pos.tolist(), end.tolist(), strict=True):
        rows = _scan_one(data, p, e)
        if rows:
            # Tuples of ints here, not the arrays of the loop above: names of their own.
            numbers, wire_types, values, begins, ends = zip(*rows, strict=True)
            parts.append((np.full(len(rows), m), np.array(numbers), np.array(wire_types),
                          np.array(values, dtype=np.uint64), np.array(begins), np.array(ends)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Fields(empty, empty, empty, empty.astype(np.uint64), empty, empty)
    columns = [np.concatenate([p[k] for p in parts]) for k in range(6)]
    # Parts come step by step (and the Python ones last, at later steps): a stable sort
    # by message gives (message, step) order.
    order = np.argsort(columns[0], kind="stable")
    return Fields(*(c[order] for c in columns))


def _int32(values: np.ndarray) -> np.ndarray:
    """uint64 varint values of int32 fields -> int64 (proto: the low 32 bits, signed)."""
    return values.astype(np.uint32).view(np.int32).astype(np.int64)


@dataclass(frozen=True, eq=False)
class KeyframeColumns:
    """The keyframes of T tracks, grouped by track: counts (T,); frame, removed, value
    counts, visibility counts (M,); values (sum,) float64; visibility (sum,) int64;
    attributes_json: per keyframe, its text ("" when absent)."""

    counts: np.ndarray
    frame: np.ndarray
    removed: np.ndarray
    value_counts: np.ndarray
    values: np.ndarray
    visibility_counts: np.ndarray
    visibility: np.ndarray
    attributes_json: list[str]


def read_keyframes(tracks: Sequence[pb.Track]) -> KeyframeColumns:
    """Every `Track.keyframes` field of `tracks`, read as columns."""
    blobs = [t.SerializeToString() for t in tracks]
    sizes = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=len(blobs))
    data = b"".join(blobs)
    ends = np.cumsum(sizes)
    keyframes = scan(data, ends - sizes, ends).select(_KEYFRAMES.number, _LEN)
    counts = np.bincount(keyframes.message, minlength=len(blobs)).astype(np.int64)
    m = keyframes.message.shape[0]
    fields = scan(data, keyframes.start, keyframes.stop)
    buf = np.frombuffer(data + bytes(_MAX_VARINT), dtype=np.uint8)
    # Coordinates: packed doubles (LEN), or one double per field (I64), in order.
    coords = fields.select(_COORDINATES.number, _LEN, _COORDINATES.element_wire_type)
    single = coords.wire_type == _COORDINATES.element_wire_type
    coords = replace(coords, stop=np.where(single, coords.start + 8, coords.stop))
    # Doubles at any byte offset: a view of 8-byte elements starting at every byte.
    doubles = np.ndarray(shape=(buf.shape[0] - 7,), dtype="<f8", buffer=buf, strides=(1,))
    per_field = (coords.stop - coords.start) // 8
    ends = np.cumsum(per_field)
    values = doubles[np.repeat(coords.start - 8 * (ends - per_field), per_field)
                     + 8 * np.arange(ends[-1] if ends.size else 0)].astype(np.float64)
    value_counts = np.bincount(coords.message, weights=coords.stop - coords.start,
                               minlength=m).astype(np.int64) // 8
    flags, flag_counts = _visibility(buf, fields, m)
    texts = [""] * m
    text = fields.select(_ATTRIBUTES.number, _LEN)
    if text.message.size:
        final = np.append(text.message[1:] != text.message[:-1], True)
        for k, a, b in zip(text.message[final].tolist(), text.start[final].tolist(),
                           text.stop[final].tolist(), strict=True):
            texts[k] = data[a:b].decode("utf-8")
    return KeyframeColumns(
        counts=counts,
        frame=_int32(fields.last(m, _FRAME.number)),
        removed=fields.last(m, _REMOVED.number) != 0,
        value_counts=value_counts,
        values=values,
        visibility_counts=flag_counts,
        visibility=flags,
        attributes_json=texts,
    )


def _visibility(buf: np.ndarray, fields: Fields, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Keypoint flags, packed (LEN) or one per field (VARINT), in order: (flags, (m,))."""
    packed = fields.select(_VISIBILITY.number, _LEN)
    single = fields.select(_VISIBILITY.number, _VISIBILITY.element_wire_type)
    values, per_field = read_packed(buf, packed.start, packed.stop)
    owner = np.concatenate([np.repeat(packed.message, per_field), single.message])
    at = np.concatenate([np.repeat(packed.start, per_field), single.start])
    order = np.lexsort((at, owner))  # stable: a packed field's values keep their order
    flags = _int32(np.concatenate([values, single.value])[order])
    return flags, np.bincount(owner, minlength=m).astype(np.int64)
