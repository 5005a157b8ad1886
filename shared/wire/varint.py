"""Protobuf varints: the one reader and writer of the fast codecs.

Scalar (`encode`, `read`, `skip`) for the few fields read or written one by one, and
vectorised with numpy (`lengths`, `read_many`, `read_packed`, `put_many`) for a field of
every message at once. Values are those of the wire: uint64, with negative int32/int64
written as their 64-bit two's complement (10 bytes), as protobuf writes them.
"""

from __future__ import annotations

import numpy as np

MAX_VARINT = 10  # bytes
_U64 = (1 << 64) - 1
_SHIFTS = np.arange(MAX_VARINT, dtype=np.uint64) * np.uint64(7)


class Malformed(ValueError):
    """Bytes that are not what the codec expects: a truncated or over-long varint, a
    group, a field past its message's end."""


def encode(value: int) -> bytes:
    """A protobuf varint (negative int32/int64 as their 64-bit two's complement)."""
    value &= _U64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read(data: bytes, at: int) -> tuple[int, int]:
    """The varint at data[at:]: (its value, the low 64 bits as protobuf reads it, and
    where it ends). Raises Malformed when truncated or longer than 10 bytes."""
    try:
        byte = data[at]
        if byte < 0x80:  # most tags and lengths: one byte
            return byte, at + 1
        value, shift = byte & 0x7F, 7
        while shift < 7 * MAX_VARINT:
            at += 1
            byte = data[at]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value & _U64, at + 1
            shift += 7
    except IndexError:
        raise Malformed("truncated varint") from None
    raise Malformed("varint longer than 10 bytes")


def skip(data: bytes, at: int, wire_type: int) -> int:
    """Past the value at data[at:] of a field of this wire type (not checked against the
    end of the data). Groups (3, 4) and unknown wire types raise Malformed."""
    if wire_type == 0:
        return read(data, at)[1]
    if wire_type == 1:
        return at + 8
    if wire_type == 2:
        length, at = read(data, at)
        return at + length
    if wire_type == 5:
        return at + 4
    raise Malformed(f"wire type {wire_type}")


def lengths(values: np.ndarray) -> np.ndarray:
    """(N,) int64 in [0, 2**42) -> (N,) int64 byte length of each varint (lengths, sizes
    and frame numbers, far below that bound)."""
    length = np.ones(values.shape, dtype=np.int64)
    for bits in (7, 14, 21, 28, 35):
        length += values >= (1 << bits)
    return length


def put_many(rec: np.ndarray, mask: np.ndarray, col: int, values: np.ndarray, width: int,
             used: np.ndarray | None = None) -> None:
    """The varints of int64 `values` (N,) left-aligned in the `width`-byte slot at column
    `col` of the byte rows `rec` (N, W) uint8, their bytes marked in `mask` (N, W) bool;
    where `used` (N,) bool is given, only its rows are marked. Values must fit the slot
    (10 bytes fit any; a negative value takes 10)."""
    v = values.astype(np.int64).view(np.uint64)
    for k in range(width):
        rest = v >> np.uint64(7 * k)
        more = (rest >> np.uint64(7)) > 0
        rec[:, col + k] = (rest & np.uint64(0x7F)).astype(np.uint8) | (more.astype(np.uint8) << 7)
        mask[:, col + k] = (rest > 0) | (k == 0) if used is None else used & (
            (rest > 0) | (k == 0))


def read_many(buf: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The varints at `pos` (n,) int64 of `buf` (uint8, padded with MAX_VARINT zero bytes):
    (values (n,) uint64, lengths (n,) int64). One-byte varints (most tags) take the short
    way. Raises Malformed for a varint longer than 10 bytes."""
    first = buf[pos]
    value = first.astype(np.uint64)
    length = np.ones(pos.shape[0], dtype=np.int64)
    long = np.flatnonzero(first >= 0x80)
    if long.size:
        window = buf[pos[long, None] + np.arange(MAX_VARINT)]
        more = window >= 0x80
        if more.all(axis=1).any():
            raise Malformed("varint longer than 10 bytes")
        length[long] = np.argmin(more, axis=1) + 1
        parts = (window & 0x7F).astype(np.uint64) << _SHIFTS
        parts[np.arange(MAX_VARINT) >= length[long, None]] = 0
        value[long] = np.bitwise_or.reduce(parts, axis=1)
    return value, length


def _ragged(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions of the runs [starts[i], starts[i] + sizes[i]), concatenated."""
    ends = np.cumsum(sizes)
    return np.repeat(starts - (ends - sizes), sizes) + np.arange(ends[-1] if ends.size else 0)


def read_packed(buf: np.ndarray, starts: np.ndarray,
                stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The varints packed in the payloads buf[starts[r]:stops[r]] (R,) of well-formed
    fields: (values (V,) uint64 in order, (R,) int64 how many each payload holds)."""
    sizes = stops - starts
    data = buf[_ragged(starts, sizes)]
    ends = data < 0x80  # the last byte of each varint
    group = np.cumsum(ends) - ends  # the varint each byte belongs to
    first = np.flatnonzero(np.append(True, ends[:-1]))
    shift = (np.arange(data.shape[0]) - first[group]).astype(np.uint64) * np.uint64(7)
    values = np.zeros(int(ends.sum()), dtype=np.uint64)
    np.bitwise_or.at(values, group, (data & 0x7F).astype(np.uint64) << shift)
    field_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    return values, np.bincount(field_of[ends], minlength=sizes.shape[0])
