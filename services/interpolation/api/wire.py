"""Interpolated frames in protobuf wire format, encoded with numpy, not object by object.

Building one protobuf object per state in Python costs microseconds (NOTES.md), more
than computing it. So the states of a block are written straight into the wire format
of `framewise.interpolation.v1` messages, in one buffer per block: frame headers, then
the objects, then each message's frame count. Fixed-size objects (bbox, point, cuboid)
are a head run per template plus the coordinates, written to their offsets row by row;
variable-size ones (polygon, polyline, keypoints) are rows of a byte matrix of
fixed-width slots (a varint, an entry of a byte table, the coordinates) with a mask of
the bytes used, compacted in C order.

Any client generated from the protos reads them: they are the protobuf encoding of the
same messages, defaults omitted, with one liberty the format allows: fields are not in
field-number order (the coordinates come last in fixed-size objects, first in the
others). The tests check that the standard parser reads exactly the messages the
obvious encoder builds (tests/unit/shared/wire). Every field number and wire type comes
from the generated descriptors (shared/wire), at import.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.domain import FrameBlock, Geometry, GeometryColumns
from shared.wire import LayoutError, key, short_tag
from shared.wire.varint import encode as varint
from shared.wire.varint import lengths as _varint_len
from shared.wire.varint import put_many

GEOMETRY_TYPE = {  # framewise.common.v1.GeometryType numbers
    Geometry.BBOX: common_pb2.GEOMETRY_TYPE_BBOX,
    Geometry.POINT: common_pb2.GEOMETRY_TYPE_POINT,
    Geometry.POLYGON: common_pb2.GEOMETRY_TYPE_POLYGON,
    Geometry.POLYLINE: common_pb2.GEOMETRY_TYPE_POLYLINE,
    Geometry.KEYPOINTS: common_pb2.GEOMETRY_TYPE_KEYPOINTS,
    Geometry.CUBOID: common_pb2.GEOMETRY_TYPE_CUBOID,
}

# Puts a family's records at given byte offsets of a buffer: (buffer, offsets (N,), frame
# bounds (F + 1,) into the states).
_Writer = Callable[[np.ndarray, np.ndarray, np.ndarray], None]

# Field keys, (field number << 3) | wire type, from the descriptors. Those written into
# the numpy slots are one byte (short_tag checks it): the sizes below count 1 for them.
_TRACK_ID = short_tag(pb.ObjectState, "track_id", "int32")
_CATEGORY_ID = short_tag(pb.ObjectState, "category_id", "int32")
_GEOMETRY = short_tag(pb.ObjectState, "geometry_type", "enum")
_IS_KEYFRAME = short_tag(pb.ObjectState, "is_keyframe", "bool")
_COORDINATES = short_tag(pb.ObjectState, "coordinates", "double", packed=True)
_VISIBILITY = short_tag(pb.ObjectState, "visibility", "int32", packed=True)
_ATTRIBUTES = short_tag(pb.ObjectState, "attributes_json", "string")
_OBJECTS = short_tag(pb.FrameState, "objects", "message")
_FRAME_KEY = key(pb.FrameState, "frame", "int32")
_TIMESTAMP_KEY = key(pb.FrameState, "timestamp", "double")
_FRAMES_KEY = key(pb.StreamFrameStatesResponse, "frames", "message")
_FRAME_COUNT_KEY = key(pb.StreamFrameStatesResponse, "frame_count", "int32")
if (key(pb.GetFrameStateResponse, "frame_state", "message"), key(
        pb.GetFrameStateResponse, "frame_count", "int32")) != (_FRAMES_KEY, _FRAME_COUNT_KEY):
    raise LayoutError("a message of one frame is no longer a GetFrameStateResponse: "
                      "its fields frame_state and frame_count differ from "
                      "StreamFrameStatesResponse's frames and frame_count")
# Slot widths: a tag and a varint of up to 3 bytes (lengths < 2 MiB, checked upstream).
_HEADER = 4


def _put_header(rec: np.ndarray, mask: np.ndarray, col: int, tag: int,
                values: np.ndarray) -> None:
    """A tag and the varint `values` (< 2**21), left-aligned in the 4-byte slot at `col`."""
    rec[:, col], mask[:, col] = tag, True
    put_many(rec, mask, col + 1, values, _HEADER - 1)


def _ragged_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For concatenated runs of `counts`: each element's run and position in its run."""
    rows = np.repeat(np.arange(counts.shape[0]), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, within


class ByteTable:
    """Byte strings as rows of a padded matrix with a mask of the bytes used, so the rows
    of many states can be gathered at once."""

    def __init__(self) -> None:
        self.rows = np.zeros((0, 0), dtype=np.uint8)
        self.mask = np.zeros((0, 0), dtype=bool)
        self.length = np.zeros(0, dtype=np.int64)

    def _grow(self, size: int, width: int) -> None:
        if size <= self.rows.shape[0] and width <= self.rows.shape[1]:
            return
        size, width = max(size, self.rows.shape[0]), max(width, self.rows.shape[1])
        rows = np.zeros((size, width), dtype=np.uint8)
        mask = np.zeros((size, width), dtype=bool)
        rows[:self.rows.shape[0], :self.rows.shape[1]] = self.rows
        mask[:self.mask.shape[0], :self.mask.shape[1]] = self.mask
        self.rows, self.mask = rows, mask
        self.length = np.concatenate([self.length, np.zeros(size - self.length.shape[0],
                                                            dtype=np.int64)])

    def put_rows(self, ids: np.ndarray, rows: np.ndarray, mask: np.ndarray) -> None:
        """Entries given as slot rows with their masks (the masked bytes are the entry)."""
        self._grow(int(ids.max(initial=-1)) + 1, rows.shape[1])
        width = rows.shape[1]
        self.rows[ids, :width], self.rows[ids, width:] = rows, 0
        self.mask[ids, :width], self.mask[ids, width:] = mask, False
        self.length[ids] = mask.sum(axis=1)

    def put(self, ids: np.ndarray, entries: Sequence[bytes]) -> None:
        lengths = np.array([len(e) for e in entries], dtype=np.int64)
        rows = np.zeros((len(entries), int(lengths.max(initial=0))), dtype=np.uint8)
        run, within = _ragged_rows(lengths)
        rows[run, within] = np.frombuffer(b"".join(entries), dtype=np.uint8)
        self.put_rows(ids, rows, np.arange(rows.shape[1]) < lengths[:, None])

    def gather(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.take(self.rows, ids, axis=0), np.take(self.mask, ids, axis=0)

    def copy_into(self, rec: np.ndarray, mask: np.ndarray, col: int, ids: np.ndarray) -> None:
        """Entry ids[n] into row n's slot at `col` (the slot is as wide as the table)."""
        width = self.rows.shape[1]
        if width:
            rec[:, col:col + width], mask[:, col:col + width] = self.gather(ids)


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
        values = np.zeros((n, int(counts.max(initial=0)) * dim))
        rows, within = _ragged_rows(counts)
        values.reshape(n, -1, dim)[rows, within] = col.coords
        used = counts * dim
    data = np.ascontiguousarray(values, dtype="<f8").view(np.uint8).reshape(n, -1)
    return data, used * 8


def _visibility_bytes(col: GeometryColumns) -> tuple[np.ndarray, np.ndarray]:
    """(N, Kmax) uint8 one-byte varints (flags < 128) padded per state, and (N,) counts."""
    assert col.visibility is not None and col.vertex_counts is not None
    counts = col.vertex_counts
    table = np.zeros((len(col), int(counts.max(initial=0))), dtype=np.uint8)
    rows, within = _ragged_rows(counts)
    table[rows, within] = col.visibility.astype(np.uint8)
    return table, counts


def _prefixes(track_ids: np.ndarray, category_ids: np.ndarray,
              geometry_types: np.ndarray) -> ByteTable:
    """Entry 2t + k: fields 1-4 of track t's states, is_keyframe = k (defaults omitted)."""
    n = track_ids.shape[0] * 2
    rec = np.zeros((n, 36), dtype=np.uint8)
    mask = np.zeros(rec.shape, dtype=bool)
    for at, tag, values in ((0, _TRACK_ID, track_ids), (11, _CATEGORY_ID, category_ids),
                            (22, _GEOMETRY, geometry_types)):
        values = np.repeat(values, 2)
        used = values != 0
        rec[:, at], mask[:, at] = tag, used
        put_many(rec, mask, at + 1, values, 10, used)
    rec[:, 33:35] = (_IS_KEYFRAME, 1)  # true
    mask[1::2, 33:35] = True
    table = ByteTable()
    table.put_rows(np.arange(n), rec, mask)
    return table


def _attribute_fields(attributes: Sequence[Mapping[str, Any]],
                      track_attributes: Sequence[Mapping[str, Any]],
                      attribute_tracks: np.ndarray) -> ByteTable:
    """Entry a: field 7 (per-frame and track-level attributes as JSON) of the states of
    attribute row a; nothing when both are empty (most keyframes: no Python for them)."""
    table = ByteTable()
    if not attribute_tracks.size:
        return table
    own = np.fromiter((bool(a) for a in attributes), dtype=bool, count=len(attributes))
    of_track = np.fromiter((bool(a) for a in track_attributes), dtype=bool,
                           count=len(track_attributes))
    entries = [b""] * len(attributes)
    for a in np.flatnonzero(own | of_track[attribute_tracks]).tolist():
        merged = {**attributes[a], **track_attributes[int(attribute_tracks[a])]}
        text = json.dumps(merged, separators=(",", ":"), ensure_ascii=False).encode()
        entries[a] = bytes([_ATTRIBUTES]) + varint(len(text)) + text
    table.put(np.arange(len(entries)), entries)
    return table


class FrameEncoder:
    """Encodes the blocks of one request; holds its per-track and per-keyframe tables.

    A state's "template" is what depends only on its keyframe and keyframe flag: fields
    1-4 (track id, category, geometry, is_keyframe) and 7 (attributes, per-frame and
    track-level). Template t = attribute_index * 2 + is_keyframe.
    """

    def __init__(self, track_ids: np.ndarray, category_ids: np.ndarray,
                 geometries: Sequence[Geometry], attributes: Sequence[Mapping[str, Any]],
                 track_attributes: Sequence[Mapping[str, Any]], attribute_tracks: np.ndarray,
                 timestamps: np.ndarray | None) -> None:
        """attribute_tracks: (A,) int64, the track of each entry of `attributes`."""
        self._geometry_of_track = np.array([GEOMETRY_TYPE[g] for g in geometries],
                                           dtype=np.int64)
        self._prefix = _prefixes(track_ids, category_ids, self._geometry_of_track)
        self._attribute_fields = _attribute_fields(attributes, track_attributes,
                                                   attribute_tracks)
        self._attribute_tracks = attribute_tracks
        self._templates: dict[Geometry, ByteTable] = {}
        self._timestamps = timestamps
        self._buffer = np.zeros(0, dtype=np.uint8)

    def _fixed_size(self, col: GeometryColumns) -> bool:
        """Every state of the family has the same number of coordinates and no visibility."""
        if col.vertex_counts is not None:
            return False
        return not (col.geometry is Geometry.CUBOID and col.coords.shape[1] == 11
                    and np.isnan(col.coords[:, 7]).any())

    def _records(self, col: GeometryColumns) -> tuple[np.ndarray, _Writer]:
        """The states of one family as `FrameState.objects` fields: (N,) byte lengths, tag
        and length included, and a writer that puts them at given offsets of a buffer."""
        coords, coord_len = _coordinate_bytes(col)
        if self._fixed_size(col):
            return self._fixed_records(col, coords)
        rec, mask, lengths = self._ragged_records(col, coords, coord_len)
        data = rec[mask]
        offsets = np.zeros(len(col) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])

        def write(buffer: np.ndarray, dest: np.ndarray, bounds: np.ndarray) -> None:
            # The states of one frame are one run in both: a copy per frame.
            for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
                if b > a:
                    at, lo, hi = int(dest[a]), int(offsets[a]), int(offsets[b])
                    buffer[at:at + hi - lo] = data[lo:hi]

        return lengths, write

    def _fixed_heads(self, geometry: Geometry, width: int) -> ByteTable:
        """Per template of the family, every byte of its records before the coordinates:
        the object's tag and length, fields 1-4 and 7, then the coordinates' tag and length
        (fields may come in any order; the coordinates last let the head be one byte run).
        Built for all the family's templates when its first block comes."""
        table = self._templates.get(geometry)
        if table is not None:
            return table
        rows_of = np.flatnonzero(self._geometry_of_track[self._attribute_tracks]
                                 == GEOMETRY_TYPE[geometry])
        new = np.stack([rows_of * 2, rows_of * 2 + 1], axis=1).reshape(-1)
        prefix_ids = self._attribute_tracks[new // 2] * 2 + new % 2
        attribute_ids = new // 2
        coords_head = bytes([_COORDINATES]) + varint(width)
        body = (len(coords_head) + width + self._prefix.length[prefix_ids]
                + self._attribute_fields.length[attribute_ids])
        prefix_at = _HEADER
        attributes_at = prefix_at + self._prefix.rows.shape[1]
        tail_at = attributes_at + self._attribute_fields.rows.shape[1]
        rows = np.zeros((new.shape[0], tail_at + len(coords_head)), dtype=np.uint8)
        mask = np.zeros(rows.shape, dtype=bool)
        _put_header(rows, mask, 0, _OBJECTS, body)
        self._prefix.copy_into(rows, mask, prefix_at, prefix_ids)
        self._attribute_fields.copy_into(rows, mask, attributes_at, attribute_ids)
        rows[:, tail_at:], mask[:, tail_at:] = np.frombuffer(coords_head, dtype=np.uint8), True
        # Left-aligned: each head's bytes in one run from column 0.
        packed = np.zeros(rows.shape, dtype=np.uint8)
        packed[np.nonzero(mask)[0], (np.cumsum(mask, axis=1) - 1)[mask]] = rows[mask]
        table = ByteTable()
        table.put_rows(new, packed, np.arange(rows.shape[1]) < mask.sum(axis=1)[:, None])
        self._templates[geometry] = table
        return table

    def _fixed_records(self, col: GeometryColumns,
                       coords: np.ndarray) -> tuple[np.ndarray, _Writer]:
        """Records of one size per template: the head bytes, then the coordinates.

        Written straight to their offsets through a window of `width`-byte elements that
        start at every byte of the buffer: heads go in `width`-byte pieces, whose padding
        lands in the record's own coordinates, which are written last. No per-byte mask.
        """
        width = coords.shape[1]
        templates = col.attribute_index * 2 + col.is_keyframe
        table = self._fixed_heads(col.geometry, width)
        head = table.length[templates]
        piece = np.dtype((np.void, width))
        rows = table.rows
        pieces = -(-rows.shape[1] // width)
        if rows.shape[1] < pieces * width:
            rows = np.pad(rows, ((0, 0), (0, pieces * width - rows.shape[1])))

        def write(buffer: np.ndarray, dest: np.ndarray, bounds: np.ndarray) -> None:
            window = np.ndarray(shape=(buffer.shape[0] - width + 1,), dtype=piece,
                                buffer=buffer, strides=(1,))
            for k in range(pieces):
                at = k * width
                sel = np.flatnonzero(head > at) if k else slice(None)
                part = np.ascontiguousarray(rows[:, at:at + width]).view(piece).reshape(-1)
                window[dest[sel] + at] = np.take(part, templates[sel])  # take: a copy per row
            window[dest + head] = np.ascontiguousarray(coords).view(piece).reshape(-1)

        return head + width, write

    def _ragged_records(self, col: GeometryColumns, coords: np.ndarray,
                        coord_len: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Slot by slot, for states whose sizes differ (polygons, keypoints, ...)."""
        n = len(col)
        prefix_ids = col.track_index * 2 + col.is_keyframe
        vis = _visibility_bytes(col) if col.visibility is not None else None
        vis_len = np.zeros(n, dtype=np.int64)
        if vis is not None:
            vis_len = 1 + _varint_len(vis[1]) + vis[1]
        body = (1 + _varint_len(coord_len) + coord_len + vis_len
                + self._prefix.length[prefix_ids]
                + self._attribute_fields.length[col.attribute_index])
        widths = [_HEADER, _HEADER, coords.shape[1],
                  0 if vis is None else _HEADER + vis[0].shape[1],
                  self._prefix.rows.shape[1], self._attribute_fields.rows.shape[1]]
        col0 = np.cumsum([0, *widths]).tolist()
        rec = np.zeros((n, col0[-1]), dtype=np.uint8)
        mask = np.zeros(rec.shape, dtype=bool)
        _put_header(rec, mask, col0[0], _OBJECTS, body)
        _put_header(rec, mask, col0[1], _COORDINATES, coord_len)
        rec[:, col0[2]:col0[3]] = coords
        mask[:, col0[2]:col0[3]] = np.arange(coords.shape[1]) < coord_len[:, None]
        if vis is not None:
            table, counts = vis
            _put_header(rec, mask, col0[3], _VISIBILITY, counts)
            rec[:, col0[3] + _HEADER:col0[4]] = table
            mask[:, col0[3] + _HEADER:col0[4]] = np.arange(table.shape[1]) < counts[:, None]
        self._prefix.copy_into(rec, mask, col0[4], prefix_ids)
        self._attribute_fields.copy_into(rec, mask, col0[5], col.attribute_index)
        return rec, mask, 1 + _varint_len(body) + body

    def messages(self, block: FrameBlock, frame_count: int, per_message: int = 0,
                 target_bytes: int = 1 << 20) -> list[bytes]:
        """The block's frames as encoded `StreamFrameStatesResponse`s: `per_message` frames
        each, or when 0, as many as fit in about `target_bytes` (at least one).

        Every byte is written once, to its place in one buffer for the whole block: the
        frame headers, then each family's records, then each message's frame count.
        A message of one frame is also a `GetFrameStateResponse`, field for field.
        """
        frames = block.frames
        families = [(col.frame_offsets(frames), *self._records(col))
                    for col in block.columns.values() if len(col)]
        family_bytes = []
        for bounds, lengths, _ in families:
            ends = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
            np.cumsum(lengths, out=ends[1:])
            family_bytes.append(ends[bounds[1:]] - ends[bounds[:-1]])  # (F,) per frame
        head = np.where(frames > 0, len(_FRAME_KEY) + _varint_len(frames), 0)
        if self._timestamps is not None:
            head += len(_TIMESTAMP_KEY) + 8
        body = head + sum(family_bytes, np.zeros(frames.shape[0], dtype=np.int64))
        framed = len(_FRAMES_KEY) + _varint_len(body) + body
        trailer = _FRAME_COUNT_KEY + varint(frame_count) if frame_count else b""
        groups = _groups(framed.tolist(), per_message, target_bytes)
        # Where each frame starts: frames before it, plus the trailers of earlier messages.
        message_of = np.repeat(np.arange(len(groups)), [b - a for a, b in groups])
        start = np.cumsum(framed) - framed + message_of * len(trailer)
        buffer = self._scratch(int(framed.sum()) + len(groups) * len(trailer))
        records_at = self._write_frame_heads(buffer, frames, start, body)
        for (bounds, lengths, write), size in zip(families, family_bytes, strict=True):
            ends = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
            np.cumsum(lengths, out=ends[1:])
            shift = np.repeat(records_at - ends[bounds[:-1]], np.diff(bounds))
            write(buffer, ends[:-1] + shift, bounds)
            records_at = records_at + size
        out = []
        for a, b in groups:
            end = int(start[b - 1] + framed[b - 1])
            buffer[end:end + len(trailer)] = np.frombuffer(trailer, dtype=np.uint8)
            out.append(buffer[int(start[a]):end + len(trailer)].tobytes())
        return out

    def release(self) -> None:
        """Drops the reused buffer (a stalled stream need not keep it); the next block
        makes a new one."""
        self._buffer = np.zeros(0, dtype=np.uint8)

    def _scratch(self, size: int) -> np.ndarray:
        """A buffer of `size` bytes reused from block to block: fresh pages cost more than
        writing them (the messages are copied out of it)."""
        if self._buffer.shape[0] < size:
            self._buffer = np.empty(size + size // 4, dtype=np.uint8)
        return self._buffer[:size]

    def _write_frame_heads(self, buffer: np.ndarray, frames: np.ndarray, start: np.ndarray,
                           body: np.ndarray) -> np.ndarray:
        """Each frame's tag and length, frame number and timestamp; returns (F,) int64,
        where its objects start."""
        stamps = self._timestamps
        after = np.empty(frames.shape[0], dtype=np.int64)
        for i, (frame, at, size) in enumerate(zip(frames.tolist(), start.tolist(),
                                                  body.tolist(), strict=True)):
            head = _FRAMES_KEY + varint(size) + (_FRAME_KEY + varint(frame) if frame else b"")
            if stamps is not None:
                head += _TIMESTAMP_KEY + struct.pack("<d", float(stamps[frame]))
            buffer[at:at + len(head)] = np.frombuffer(head, dtype=np.uint8)
            after[i] = at + len(head)
        return after


def _groups(sizes: list[int], per_message: int, target: int) -> list[tuple[int, int]]:
    """Consecutive runs [a, b) of frames per message: `per_message` of them, or as many as
    fit in `target` bytes (at least one) when 0."""
    if per_message:
        return [(a, min(a + per_message, len(sizes))) for a in range(0, len(sizes), per_message)]
    groups = []
    first, total = 0, 0
    for i, size in enumerate(sizes):
        if i > first and total + size > target:
            groups.append((first, i))
            first, total = i, 0
        total += size
    if sizes:
        groups.append((first, len(sizes)))
    return groups
