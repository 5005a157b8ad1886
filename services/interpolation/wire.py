"""Interpolated frames in protobuf wire format, encoded with numpy, not object by object.

Building one protobuf object per state in Python costs microseconds (NOTES.md), more
than computing it. So the states of a block are written straight into the wire format
of `framewise.interpolation.v1` messages: each state is a row of a byte matrix made of
fixed-width slots (a varint, a table entry, the coordinates), a mask keeps the bytes
actually used, and compaction in C order yields the encoded `ObjectState`s back to back.

Any client generated from the protos reads them: they are the protobuf encoding of the
same messages, defaults omitted, with one liberty the format allows: in fixed-size
states the coordinates field comes first. The tests check that the standard parser
reads exactly the messages the obvious encoder builds.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from services.interpolation.domain import FrameBlock, Geometry, GeometryColumns

GEOMETRY_TYPE = {  # framewise.common.v1.GeometryType numbers
    Geometry.BBOX: 1,
    Geometry.POINT: 2,
    Geometry.POLYGON: 3,
    Geometry.POLYLINE: 4,
    Geometry.KEYPOINTS: 5,
    Geometry.CUBOID: 6,
}

# Field keys: (field number << 3) | wire type.
_OBJECTS = 0x1A  # FrameState.objects = 3, length-delimited
_COORDINATES = 0x2A  # ObjectState.coordinates = 5, packed doubles
_VISIBILITY = 0x32  # ObjectState.visibility = 6, packed varints
_FRAMES = 0x0A  # StreamFrameStatesResponse.frames = 1 / GetFrameStateResponse.frame_state = 1
_FRAME_COUNT = 0x10  # field 2, varint
_FRAME = 0x08  # FrameState.frame = 1
_TIMESTAMP = 0x11  # FrameState.timestamp = 2, fixed64

MAX_VISIBILITY = 127  # one-byte varints


def varint(value: int) -> bytes:
    """A protobuf varint (negative int32/int64 as their 64-bit two's complement)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _varint_len(values: np.ndarray) -> np.ndarray:
    """(N,) int64 >= 0 -> (N,) byte length of each varint."""
    length = np.ones(values.shape, dtype=np.int64)
    for bits in (7, 14, 21, 28, 35):
        length += values >= (1 << bits)
    return length


def _put_varint(rec: np.ndarray, mask: np.ndarray, col: int, width: int,
                values: np.ndarray) -> None:
    """Writes varints of non-negative `values` left-aligned in slot rec[:, col:col+width]."""
    v = values.astype(np.uint64)
    for k in range(width):
        rest = v >> np.uint64(7 * k)
        more = (rest >> np.uint64(7)) > 0
        rec[:, col + k] = (rest & np.uint64(0x7F)).astype(np.uint8) | (more.astype(np.uint8) << 7)
        mask[:, col + k] = (rest > 0) | (k == 0)


def _put_table(rec: np.ndarray, mask: np.ndarray, col: int, table: np.ndarray,
               lengths: np.ndarray, ids: np.ndarray) -> None:
    """Copies entry `ids[n]` of a padded byte table into row n's slot at `col`."""
    width = table.shape[1]
    if width == 0:
        return
    rec[:, col:col + width] = table[ids]
    mask[:, col:col + width] = np.arange(width) < lengths[ids][:, None]


def _padded_table(entries: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(e) for e in entries], dtype=np.int64)
    table = np.zeros((len(entries), int(lengths.max(initial=0))), dtype=np.uint8)
    for i, entry in enumerate(entries):
        table[i, :len(entry)] = np.frombuffer(entry, dtype=np.uint8)
    return table, lengths


def _coordinate_bytes(col: GeometryColumns) -> tuple[np.ndarray, np.ndarray]:
    """(N, Cmax) uint8 little-endian doubles padded per state, and (N,) bytes used."""
    n = len(col)
    if col.vertex_counts is None:
        values = col.coords.reshape(n, -1)
        used = np.full(n, values.shape[1], dtype=np.int64)
        if col.geometry is Geometry.CUBOID and values.shape[1] == 11:
            # Cuboids without a rotation carry NaN in the quaternion columns: 7 values.
            used[np.isnan(values[:, 7])] = 7
    else:
        dim = col.coords.shape[1]
        counts = col.vertex_counts
        width = int(counts.max(initial=0)) * dim
        values = np.zeros((n, width))
        rows = np.repeat(np.arange(n), counts)
        starts = np.cumsum(counts) - counts
        within = np.arange(counts.sum()) - np.repeat(starts, counts)
        values.reshape(n, -1, dim)[rows, within] = col.coords
        used = counts * dim
    data = np.ascontiguousarray(values, dtype="<f8").view(np.uint8).reshape(n, -1)
    return data, used * 8


def _visibility_bytes(col: GeometryColumns) -> tuple[np.ndarray, np.ndarray]:
    """(N, Kmax) uint8 one-byte varints padded per state, and (N,) count per state."""
    assert col.visibility is not None and col.vertex_counts is not None
    n, counts = len(col), col.vertex_counts
    table = np.zeros((n, int(counts.max(initial=0))), dtype=np.uint8)
    rows = np.repeat(np.arange(n), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    table[rows, within] = col.visibility.astype(np.uint8)
    return table, counts


class FrameEncoder:
    """Encodes the blocks of one request; holds its per-track and per-keyframe tables."""

    def __init__(self, track_ids: np.ndarray, category_ids: np.ndarray,
                 geometries: Sequence[Geometry], attributes: Sequence[Mapping[str, Any]],
                 track_attributes: Sequence[Mapping[str, Any]],
                 timestamps: np.ndarray | None) -> None:
        prefixes = []
        for track_id, category_id, geometry in zip(
            track_ids.tolist(), category_ids.tolist(), geometries, strict=True
        ):
            head = b""
            if track_id:
                head += b"\x08" + varint(track_id)
            if category_id:
                head += b"\x10" + varint(category_id)
            head += b"\x18" + varint(GEOMETRY_TYPE[geometry])
            prefixes += [head, head + b"\x20\x01"]  # is_keyframe false / true
        self._prefix, self._prefix_len = _padded_table(prefixes)
        self._attributes = attributes
        self._track_attributes = track_attributes
        self._attr_table = np.zeros((len(attributes), 0), dtype=np.uint8)
        self._attr_len = np.zeros(len(attributes), dtype=np.int64)
        self._attr_built = np.zeros(len(attributes), dtype=bool)
        self._timestamps = timestamps
        self._fixed = _FixedRecords()

    def prefix(self, template: np.ndarray) -> list[bytes]:
        """Fields 1-4 of the given states' templates (track, keyframe flag)."""
        return [self._prefix[t, :self._prefix_len[t]].tobytes() for t in template.tolist()]

    def attributes_field(self, attribute_index: np.ndarray) -> list[bytes]:
        return [self._attr_table[a, :self._attr_len[a]].tobytes()
                for a in attribute_index.tolist()]

    def _ensure_attributes(self, col: GeometryColumns) -> None:
        """Encodes the attributes field of each keyframe the first time a state uses it."""
        missing = ~self._attr_built[col.attribute_index]
        if not missing.any():
            return
        index, first = np.unique(col.attribute_index[missing], return_index=True)
        tracks = col.track_index[missing][first]
        entries: list[bytes] = []
        for a, t in zip(index.tolist(), tracks.tolist(), strict=True):
            merged = {**self._attributes[a], **self._track_attributes[t]}
            text = json.dumps(merged, separators=(",", ":"), ensure_ascii=False).encode()
            entries.append(b"\x3a" + varint(len(text)) + text if merged else b"")
        lengths = np.array([len(e) for e in entries], dtype=np.int64)
        width = max(self._attr_table.shape[1], int(lengths.max(initial=0)))
        if width > self._attr_table.shape[1]:
            grown = np.zeros((self._attr_table.shape[0], width), dtype=np.uint8)
            grown[:, :self._attr_table.shape[1]] = self._attr_table
            self._attr_table = grown
        for a, entry in zip(index.tolist(), entries, strict=True):
            self._attr_table[a, :len(entry)] = np.frombuffer(entry, dtype=np.uint8)
        self._attr_len[index] = lengths
        self._attr_built[index] = True

    def encode_states(self, col: GeometryColumns) -> tuple[np.ndarray, np.ndarray]:
        """The states of one family as `FrameState.objects` fields, back to back.

        Returns (bytes (B,) uint8, offsets (N + 1,) int64): state n is
        bytes[offsets[n]:offsets[n + 1]], tag and length included.
        """
        n = len(col)
        if n == 0:
            return np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
        self._ensure_attributes(col)
        if col.vertex_counts is None and not (
            col.geometry is Geometry.CUBOID and col.coords.shape[1] == 11
            and np.isnan(col.coords[:, 7]).any()
        ):
            return self._fixed.encode(col, self)
        prefix_ids = col.track_index * 2 + col.is_keyframe
        coords, coord_len = _coordinate_bytes(col)
        vis = _visibility_bytes(col) if col.visibility is not None else None
        vis_len = np.zeros(n, dtype=np.int64)
        if vis is not None:
            vis_len = 1 + _varint_len(vis[1]) + vis[1]
        record_len = (self._prefix_len[prefix_ids] + 1 + _varint_len(coord_len) + coord_len
                      + vis_len + self._attr_len[col.attribute_index])
        widths = [4, self._prefix.shape[1], 4, coords.shape[1],
                  0 if vis is None else 4 + vis[0].shape[1], self._attr_table.shape[1]]
        rec = np.zeros((n, sum(widths)), dtype=np.uint8)
        mask = np.zeros(rec.shape, dtype=bool)
        col0 = np.cumsum([0, *widths])
        rec[:, 0], mask[:, 0] = _OBJECTS, True
        _put_varint(rec, mask, 1, 3, record_len)
        _put_table(rec, mask, col0[1], self._prefix, self._prefix_len, prefix_ids)
        rec[:, col0[2]], mask[:, col0[2]] = _COORDINATES, True
        _put_varint(rec, mask, col0[2] + 1, 3, coord_len)
        rec[:, col0[3]:col0[4]] = coords
        mask[:, col0[3]:col0[4]] = np.arange(coords.shape[1]) < coord_len[:, None]
        if vis is not None:
            table, counts = vis
            rec[:, col0[4]], mask[:, col0[4]] = _VISIBILITY, True
            _put_varint(rec, mask, col0[4] + 1, 3, counts)
            rec[:, col0[4] + 4:col0[5]] = table
            mask[:, col0[4] + 4:col0[5]] = np.arange(table.shape[1]) < counts[:, None]
        _put_table(rec, mask, col0[5], self._attr_table, self._attr_len, col.attribute_index)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(mask.sum(axis=1), out=offsets[1:])
        return rec[mask], offsets

    def frame_bodies(self, block: FrameBlock) -> list[bytes]:
        """One encoded `FrameState` per frame of the block (without its own tag/length)."""
        encoded = []
        for col in block.columns.values():
            data, offsets = self.encode_states(col)
            encoded.append((data, offsets[col.frame_offsets(block.frames)]))
        bodies = []
        for i, frame in enumerate(block.frames.tolist()):
            parts = [b"\x08" + varint(frame)] if frame else []
            if self._timestamps is not None:
                parts.append(b"\x11" + struct.pack("<d", float(self._timestamps[frame])))
            parts += [data[bounds[i]:bounds[i + 1]].tobytes() for data, bounds in encoded]
            bodies.append(b"".join(parts))
        return bodies


class _FixedRecords:
    """Whole `objects` fields of fixed-size states, precomputed per template.

    For bbox, point and cuboid states everything but the coordinates depends only on the
    state's keyframe (track, attributes) and keyframe flag: each such template is encoded
    once with a hole for the coordinates, and a block's records are one row gather plus
    one coordinate copy per distinct hole position.
    """

    def __init__(self) -> None:
        self.table = np.zeros((0, 0), dtype=np.uint8)
        self.mask = np.zeros((0, 0), dtype=bool)
        self.hole = np.zeros(0, dtype=np.int64)  # where the coordinates go, -1: not built
        self.length = np.zeros(0, dtype=np.int64)  # bytes of each record
        self.holes: list[int] = []  # the distinct hole positions
        self.width = 0  # bytes of coordinates

    def _build(self, templates: np.ndarray, col: GeometryColumns, coord_bytes: int,
               encoder: FrameEncoder) -> None:
        every = col.attribute_index * 2 + col.is_keyframe
        track_of = np.zeros(int(every.max()) + 1, dtype=np.int64)
        track_of[every] = col.track_index
        prefixes = encoder.prefix(track_of[templates] * 2 + templates % 2)
        attributes = encoder.attributes_field(templates // 2)
        rows, holes = [], []
        for prefix, attribute in zip(prefixes, attributes, strict=True):
            # The coordinates come first, so they sit at the same place in nearly every
            # record (fields may come in any order; every protobuf parser accepts that).
            coords_field = bytes([_COORDINATES]) + varint(coord_bytes)
            body_len = len(coords_field) + coord_bytes + len(prefix) + len(attribute)
            head = bytes([_OBJECTS]) + varint(body_len) + coords_field
            rows.append(head + bytes(coord_bytes) + prefix + attribute)
            holes.append(len(head))
        size = max(self.table.shape[0], int(templates.max()) + 1)
        width = max(self.table.shape[1], max(len(r) for r in rows))
        table = np.zeros((size, width), dtype=np.uint8)
        mask = np.zeros((size, width), dtype=bool)
        hole = np.full(size, -1, dtype=np.int64)
        length = np.zeros(size, dtype=np.int64)
        table[:self.table.shape[0], :self.table.shape[1]] = self.table
        mask[:self.mask.shape[0], :self.mask.shape[1]] = self.mask
        hole[:self.hole.shape[0]] = self.hole
        length[:self.length.shape[0]] = self.length
        for t, row, at in zip(templates.tolist(), rows, holes, strict=True):
            table[t, :len(row)] = np.frombuffer(row, dtype=np.uint8)
            mask[t, :len(row)] = True
            hole[t] = at
            length[t] = len(row)
        self.table, self.mask, self.hole, self.length = table, mask, hole, length
        self.holes = sorted(set(self.holes) | set(holes))

    def encode(self, col: GeometryColumns,
               encoder: FrameEncoder) -> tuple[np.ndarray, np.ndarray]:
        n = len(col)
        coords, _ = _coordinate_bytes(col)
        if coords.shape[1] != self.width:  # a family's coordinates have one size
            self.__init__()  # type: ignore[misc]
            self.width = coords.shape[1]
        template = col.attribute_index * 2 + col.is_keyframe
        known = template < self.hole.shape[0]
        missing = ~known
        missing[known] = self.hole[template[known]] < 0
        if missing.any():
            self._build(np.unique(template[missing]), col, self.width, encoder)
        rec = np.take(self.table, template, axis=0)
        if len(self.holes) == 1:
            rec[:, self.holes[0]:self.holes[0] + self.width] = coords
        else:
            holes = self.hole[template]
            for at in self.holes:
                rows = np.flatnonzero(holes == at)
                rec[rows, at:at + self.width] = coords[rows]
        lengths = self.length[template]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if offsets[-1] == rec.size:
            return rec.reshape(-1), offsets
        return rec[np.take(self.mask, template, axis=0)], offsets


def stream_response(bodies: Sequence[bytes], frame_count: int) -> bytes:
    """An encoded StreamFrameStatesResponse of the given frames."""
    parts = []
    for body in bodies:
        parts += [b"\x0a", varint(len(body)), body]
    if frame_count:
        parts += [b"\x10", varint(frame_count)]
    return b"".join(parts)


def get_frame_response(body: bytes, frame_count: int) -> bytes:
    """An encoded GetFrameStateResponse: the same layout, one frame."""
    return stream_response([body], frame_count)
