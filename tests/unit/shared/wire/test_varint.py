"""The one varint reader and writer (shared/wire/varint.py) equal protobuf's own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framewise.interpolation.v1 import interpolation_pb2 as pb
from shared.wire import Malformed, varint

U64 = (1 << 64) - 1
INT64 = st.integers(-(2**63), 2**63 - 1)
EDGES = [0, 1, 127, 128, 300, 2**14 - 1, 2**14, 2**21, 2**31 - 1, -1, -(2**31), 2**63 - 1,
         -(2**63)]


def _int64_bytes(value: int) -> bytes:
    """protobuf's varint of `value`: an int64 field (StoredLabel.revision = 3) alone (0,
    the default, is not written: its varint is one zero byte)."""
    if value == 0:
        return b"\x00"
    encoded = pb.StoredLabel(revision=value).SerializeToString()
    assert encoded[:1] == b"\x18"
    return encoded[1:]


@pytest.mark.parametrize("value", EDGES)
def test_encode_and_read_equal_protobuf_at_the_edges(value: int) -> None:
    assert varint.encode(value) == _int64_bytes(value)
    assert varint.read(_int64_bytes(value) + b"\xff", 0) == (value & U64,
                                                             len(_int64_bytes(value)))


@given(INT64)
def test_encode_equals_protobuf(value: int) -> None:
    assert varint.encode(value) == _int64_bytes(value)
    assert varint.read(_int64_bytes(value), 0) == (value & U64, len(_int64_bytes(value)))


def test_read_rejects_truncated_and_over_long_varints() -> None:
    with pytest.raises(Malformed):
        varint.read(b"\x80\x80", 0)
    with pytest.raises(Malformed):
        varint.read(b"", 0)
    with pytest.raises(Malformed):
        varint.read(b"\x80" * 10 + b"\x01", 0)
    # Ten bytes are a varint; bits past the 64th are dropped, as the parser drops them.
    assert varint.read(b"\xff" * 9 + b"\x7f", 0) == (U64, 10)


def test_skip_passes_each_wire_type() -> None:
    data = b"\x96\x01" + bytes(8) + b"\x03abc" + bytes(4)
    assert varint.skip(data, 0, 0) == 2
    assert varint.skip(data, 2, 1) == 10
    assert varint.skip(data, 10, 2) == 14
    assert varint.skip(data, 14, 5) == 18
    for group in (3, 4):
        with pytest.raises(Malformed):
            varint.skip(data, 0, group)


@given(st.lists(INT64, max_size=40))
def test_read_many_equals_the_scalar_reader(values: list[int]) -> None:
    data = b"".join(varint.encode(v) for v in values)
    buf = np.frombuffer(data + bytes(varint.MAX_VARINT), dtype=np.uint8)
    positions, at = [], 0
    for _ in values:
        positions.append(at)
        at = varint.read(data, at)[1]
    got, lengths = varint.read_many(buf, np.array(positions, dtype=np.int64))
    assert got.dtype == np.uint64 and got.tolist() == [v & U64 for v in values]
    assert lengths.tolist() == [len(varint.encode(v)) for v in values]


def test_read_many_rejects_over_long_varints() -> None:
    buf = np.frombuffer(b"\x80" * 11 + bytes(10), dtype=np.uint8)
    with pytest.raises(Malformed):
        varint.read_many(buf, np.array([0]))


@given(st.lists(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=6), max_size=8))
def test_read_packed_equals_protobuf(fields: list[list[int]]) -> None:
    # Keyframe.visibility: packed int32, as protobuf writes it.
    blobs = [pb.Keyframe(visibility=f).SerializeToString() for f in fields]
    data = b"".join(blobs)
    starts, stops, at = [], [], 0
    for blob in blobs:
        if blob:
            size, payload = varint.read(blob, 1)
            starts.append(at + payload)
            stops.append(at + payload + size)
        else:
            starts.append(at)
            stops.append(at)
        at += len(blob)
    buf = np.frombuffer(data + bytes(varint.MAX_VARINT), dtype=np.uint8)
    values, counts = varint.read_packed(buf, np.array(starts, dtype=np.int64),
                                        np.array(stops, dtype=np.int64))
    assert values.tolist() == [v & U64 for f in fields for v in f]
    assert counts.tolist() == [len(f) for f in fields]


@given(st.lists(INT64, min_size=1, max_size=30), st.data())
def test_put_many_writes_the_scalar_encoding(values: list[int], data: st.DataObject) -> None:
    used = np.array(data.draw(st.lists(st.booleans(), min_size=len(values),
                                       max_size=len(values))))
    rec = np.zeros((len(values), 12), dtype=np.uint8)
    mask = np.zeros(rec.shape, dtype=bool)
    varint.put_many(rec, mask, 1, np.array(values, dtype=np.int64), 10, used)
    for row, m, value, on in zip(rec, mask, values, used, strict=True):
        assert row[m].tobytes() == (varint.encode(value) if on else b"")


@given(st.lists(st.integers(0, 2**21 - 1), min_size=1, max_size=30))
def test_put_many_in_a_short_slot_and_lengths(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    rec = np.zeros((len(values), 3), dtype=np.uint8)
    mask = np.zeros(rec.shape, dtype=bool)
    varint.put_many(rec, mask, 0, array, 3)
    assert [r[m].tobytes() for r, m in zip(rec, mask, strict=True)] == [
        varint.encode(v) for v in values]


@given(st.lists(st.integers(0, 2**42 - 1), max_size=30))
def test_lengths_equal_the_encoded_lengths(values: list[int]) -> None:
    assert varint.lengths(np.array(values, dtype=np.int64)).tolist() == [
        len(varint.encode(v)) for v in values]
