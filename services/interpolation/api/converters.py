"""Protobuf requests to the engine's tracks, and engine errors to field violations."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.api import wire
from services.interpolation.api.wire_in import KeyframeColumns, Unsupported, read_keyframes
from services.interpolation.domain import (
    Geometry,
    InterpolationOptions,
    InterpolationPlan,
    TrackTable,
)
from services.interpolation.domain.source import Source
from shared import jsondoc
from shared.errors import InvalidArgument
from shared.limits import MAX_INLINE_FRAMES, MAX_KEYFRAMES, MAX_TRACKS, MAX_VERTICES

# Visibility flags are small enums (the field's tools use 0 to 2).
MAX_VISIBILITY = 127
_FLAT_GEOMETRIES = [common_pb2.GEOMETRY_TYPE_BBOX, common_pb2.GEOMETRY_TYPE_KEYPOINTS]

# Keyframe attributes when none are given: one shared, read-only empty mapping.
_NONE: Mapping[str, Any] = MappingProxyType({})

GEOMETRY_OF = {
    common_pb2.GEOMETRY_TYPE_BBOX: Geometry.BBOX,
    common_pb2.GEOMETRY_TYPE_POINT: Geometry.POINT,
    common_pb2.GEOMETRY_TYPE_POLYGON: Geometry.POLYGON,
    common_pb2.GEOMETRY_TYPE_POLYLINE: Geometry.POLYLINE,
    common_pb2.GEOMETRY_TYPE_KEYPOINTS: Geometry.KEYPOINTS,
    common_pb2.GEOMETRY_TYPE_CUBOID: Geometry.CUBOID,
}

def _first_track_error(checks: Sequence[tuple[np.ndarray, str, str]], field: str) -> None:
    """Raises for the first track failing any check (the first check failing, on it)."""
    bad = [(int(np.argmax(mask)), k) for k, (mask, _, _) in enumerate(checks) if mask.any()]
    if bad:
        track, k = min(bad)
        _, name, message = checks[k]
        raise InvalidArgument.of(f"{field}[{track}].{name}", message)


def _track_columns(tracks: Sequence[pb.Track], field: str) -> tuple[np.ndarray, ...]:
    """(track_id, category_id, geometry code, dimensions) per track, checked."""
    n = len(tracks)
    track_id = np.fromiter((t.track_id for t in tracks), np.int64, n)
    category_id = np.fromiter((t.category_id for t in tracks), np.int64, n)
    code = np.fromiter((t.geometry_type for t in tracks), np.int64, n)
    dims = np.fromiter((t.dimensions for t in tracks), np.int64, n)
    dims[dims == 0] = 2
    flat = np.isin(code, _FLAT_GEOMETRIES)
    _first_track_error([
        (~np.isin(code, list(GEOMETRY_OF)), "geometry_type", "required: a geometry type"),
        (track_id < 0, "track_id", "must be >= 0"),
        (category_id < 0, "category_id", "must be >= 0"),
        (~np.isin(dims, (2, 3)) | ((dims == 3) & flat), "dimensions",
         "2 or 3 (3 only for points, polygons and polylines)"),
    ], field)
    dims[flat] = 2
    return track_id, category_id, code, dims


def _keyframe_error(mask: np.ndarray, counts: np.ndarray, name: str, message: str,
                    field: str) -> None:
    bad = np.flatnonzero(mask)
    if bad.size:
        m = int(bad[0])
        track = int(np.searchsorted(np.cumsum(counts), m, side="right"))
        j = m - int(counts[:track].sum())
        raise InvalidArgument.of(f"{field}[{track}].keyframes[{j}].{name}", message)


def _flat(parts: Iterable[Iterable[float]], dtype: type, count: int) -> np.ndarray:
    return np.fromiter(itertools.chain.from_iterable(parts), dtype=dtype, count=count)


def keyframes_by_message(tracks: Sequence[pb.Track]) -> KeyframeColumns:
    """The keyframes read field by field from the parsed messages: the slow way, for
    what wire_in does not read."""
    per_track = [t.keyframes for t in tracks]
    keyframes = [k for ks in per_track for k in ks]
    m = len(keyframes)
    value_counts = np.fromiter((len(k.coordinates) for k in keyframes), np.int64, m)
    flag_counts = np.fromiter((len(k.visibility) for k in keyframes), np.int64, m)
    return KeyframeColumns(
        counts=np.fromiter((len(k) for k in per_track), np.int64, len(per_track)),
        frame=np.fromiter((k.frame for k in keyframes), np.int64, m),
        removed=np.fromiter((k.removed for k in keyframes), bool, m),
        value_counts=value_counts,
        values=_flat((k.coordinates for k in keyframes), np.float64, int(value_counts.sum())),
        visibility_counts=flag_counts,
        visibility=_flat((k.visibility for k in keyframes), np.int64, int(flag_counts.sum())),
        attributes_json=[k.attributes_json for k in keyframes],
    )


def _keyframe_columns(tracks: Sequence[pb.Track]) -> KeyframeColumns:
    try:
        return read_keyframes(tracks)
    except Unsupported:
        return keyframes_by_message(tracks)


def table_from_proto(tracks: Sequence[pb.Track], field: str) -> TrackTable:
    """The request's tracks as the engine's table, with no Python step per keyframe (but
    for attributes); the value rules are the engine's (InterpolationPlan)."""
    if len(tracks) > MAX_TRACKS:
        raise InvalidArgument.of(field, f"at most {MAX_TRACKS} tracks, got {len(tracks)}")
    track_id, category_id, code, dims = _track_columns(tracks, field)
    track_attributes = tuple(
        jsondoc.parse_object(t.track_attributes_json, f"{field}[{i}].track_attributes_json")
        for i, t in enumerate(tracks))
    kf = _keyframe_columns(tracks)
    counts, removed, m = kf.counts, kf.removed, kf.removed.shape[0]
    if counts.size and counts.max() > MAX_KEYFRAMES:
        track = int(np.argmax(counts > MAX_KEYFRAMES))
        raise InvalidArgument.of(f"{field}[{track}].keyframes", f"at most {MAX_KEYFRAMES} "
                                 f"keyframes, got {int(counts[track])}")
    # A remove-keyframe's coordinates and flags are ignored: counted as none.
    value_counts, values = kf.value_counts, kf.values
    flag_counts, flags = kf.visibility_counts, kf.visibility
    if removed.any():
        values = values[np.repeat(~removed, value_counts)]
        flags = flags[np.repeat(~removed, flag_counts)]
        value_counts = np.where(removed, 0, value_counts)
        flag_counts = np.where(removed, 0, flag_counts)
    cuboid = np.repeat(code == common_pb2.GEOMETRY_TYPE_CUBOID, counts)
    big = ~cuboid & (value_counts // np.repeat(dims, counts) > MAX_VERTICES)
    _keyframe_error(big, counts, "coordinates", f"at most {MAX_VERTICES} vertices", field)
    if flags.size and (flags.min() < 0 or flags.max() > MAX_VISIBILITY):
        owner = np.repeat(np.arange(m), flag_counts)
        bad = np.zeros(m, dtype=bool)
        bad[owner[(flags < 0) | (flags > MAX_VISIBILITY)]] = True
        _keyframe_error(bad, counts, "visibility", f"flags in [0, {MAX_VISIBILITY}]", field)
    attributes = tuple(_attributes(text, counts, n, field) if text else _NONE
                       for n, text in enumerate(kf.attributes_json))
    return TrackTable(
        track_id=track_id,
        category_id=category_id,
        geometry=tuple(GEOMETRY_OF[c] for c in code.tolist()),
        dimensions=dims,
        track_attributes=track_attributes,
        keyframe_counts=counts,
        frame=kf.frame,
        removed=removed,
        attributes=attributes,
        value_counts=value_counts,
        values=values,
        visibility_counts=flag_counts,
        visibility=flags.astype(np.int32),
    )


def _attributes(text: str, counts: np.ndarray, m: int, field: str) -> dict[str, Any]:
    track = int(np.searchsorted(np.cumsum(counts), m, side="right"))
    where = f"{field}[{track}].keyframes[{m - int(counts[:track].sum())}].attributes_json"
    return jsondoc.parse_object(text, where)


def options_from_proto(message: pb.InterpolationOptions) -> InterpolationOptions:
    return InterpolationOptions(
        by_timestamp=message.mode == common_pb2.INTERPOLATION_MODE_TIMESTAMP,
        extrapolate_cuboid_position=message.extrapolate_cuboid_position,
    )


def check_frame_count(frame_count: int, field: str) -> int:
    if not 0 < frame_count <= MAX_INLINE_FRAMES:
        raise InvalidArgument.of(field, f"must be in [1, {MAX_INLINE_FRAMES}] (at most "
                                        f"{MAX_INLINE_FRAMES} frames)")
    return frame_count


def inline_source(message: pb.InlineTracks) -> Source:
    frame_count = check_frame_count(message.frame_count, "inline.frame_count")
    tracks = table_from_proto(message.tracks, "inline.tracks")
    timestamps = np.array(message.timestamps, dtype=np.float64) if message.timestamps else None
    options = options_from_proto(message.options)
    if options.by_timestamp and timestamps is None:
        raise InvalidArgument.of("inline.timestamps", "required to interpolate by timestamp")
    return Source(tracks, frame_count, timestamps, timestamps, options, "inline")


def frame_encoder(source: Source, plan: InterpolationPlan) -> wire.FrameEncoder:
    """The encoder of a plan's frame states, as `StreamFrameStatesResponse` bytes."""
    return wire.FrameEncoder(plan.track_ids, plan.category_ids, plan.geometries,
                             plan.attributes, plan.track_attributes, plan.attribute_tracks,
                             source.frame_timestamps)
