"""Protobuf requests to the engine's tracks, and engine errors to field violations."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.domain import (
    Geometry,
    InterpolationInputError,
    InterpolationOptions,
    Keyframe,
    Track,
)
from shared import jsondoc
from shared.errors import InvalidArgument

MAX_TRACKS = 100_000
MAX_FRAMES = 10_000_000
MAX_VERTICES = 10_000
MAX_VISIBILITY = 127

GEOMETRY_OF = {
    common_pb2.GEOMETRY_TYPE_BBOX: Geometry.BBOX,
    common_pb2.GEOMETRY_TYPE_POINT: Geometry.POINT,
    common_pb2.GEOMETRY_TYPE_POLYGON: Geometry.POLYGON,
    common_pb2.GEOMETRY_TYPE_POLYLINE: Geometry.POLYLINE,
    common_pb2.GEOMETRY_TYPE_KEYPOINTS: Geometry.KEYPOINTS,
    common_pb2.GEOMETRY_TYPE_CUBOID: Geometry.CUBOID,
}

# Engine field names -> request field names.
_RENAMES = [
    (re.compile(r"\.coords\b"), ".coordinates"),
    (re.compile(r"\.track_attributes\b"), ".track_attributes_json"),
    (re.compile(r"\.attributes\b"), ".attributes_json"),
    (re.compile(r"\.geometry\b"), ".geometry_type"),
]
_TOP_LEVEL = {"start": "start_frame", "stop": "end_frame", "frame": "frame"}


def request_field(error: InterpolationInputError, source: str) -> str:
    """The request field an engine error is about, e.g. inline.tracks[2].keyframes[0].frame."""
    field = error.field
    if field in _TOP_LEVEL:
        return _TOP_LEVEL[field]
    for pattern, replacement in _RENAMES:
        field = pattern.sub(replacement, field)
    return f"{source}.{field}"


def _shape(geometry: Geometry, size: int, dim: int, where: str) -> tuple[int, ...]:
    """The engine's shape for `size` flat coordinates, or INVALID_ARGUMENT on `where`."""
    if geometry is Geometry.CUBOID:
        if size not in (7, 11):
            raise InvalidArgument.of(where, "a cuboid has 7 values [px, py, pz, dx, dy, dz, "
                                            "yaw], or 11 with a quaternion [qx, qy, qz, qw]")
        return (size,)
    per_vertex = 2 if geometry in (Geometry.BBOX, Geometry.KEYPOINTS) else dim
    if size == 0 or size % per_vertex:
        raise InvalidArgument.of(where, f"{geometry.name} coordinates come in groups of "
                                        f"{per_vertex}, got {size} values")
    if size // per_vertex > MAX_VERTICES:
        raise InvalidArgument.of(where, f"more than {MAX_VERTICES} vertices")
    return (size // per_vertex, per_vertex)


def _visibility(message: pb.Keyframe, geometry: Geometry, count: int,
                where: str) -> np.ndarray | None:
    if geometry is not Geometry.KEYPOINTS:
        if len(message.visibility):
            raise InvalidArgument.of(f"{where}.visibility", "only keypoints have visibility")
        return None
    visibility = np.array(message.visibility, dtype=np.int32)
    if visibility.shape[0] != count:
        raise InvalidArgument.of(f"{where}.visibility", f"one flag per keypoint: {count} expected")
    if visibility.size and (visibility.min() < 0 or visibility.max() > MAX_VISIBILITY):
        raise InvalidArgument.of(f"{where}.visibility", f"flags in [0, {MAX_VISIBILITY}]")
    return visibility


def _attributes(text: str, where: str) -> dict[str, Any]:
    return jsondoc.parse_object(text, f"{where}.attributes_json")


def _keyframes(messages: Sequence[pb.Keyframe], geometry: Geometry, dim: int,
               where: str) -> tuple[Keyframe, ...]:
    """A track's keyframes; the coordinates of all of them are read in one pass (a
    repeated field read value by value costs microseconds per keyframe)."""
    removed = [k.removed for k in messages]
    sizes = [0 if gone else len(k.coordinates) for k, gone in zip(messages, removed, strict=True)]
    flat = np.fromiter(itertools.chain.from_iterable(
        k.coordinates for k, gone in zip(messages, removed, strict=True) if not gone),
        dtype=np.float64, count=sum(sizes))
    keyframes = []
    start = 0
    keypoints = geometry is Geometry.KEYPOINTS
    for j, (message, gone, size) in enumerate(zip(messages, removed, sizes, strict=True)):
        text = message.attributes_json
        attributes = _attributes(text, f"{where}[{j}]") if text else {}
        if gone:
            keyframes.append(Keyframe(frame=message.frame, removed=True, attributes=attributes))
            continue
        shape = _shape(geometry, size, dim, f"{where}[{j}].coordinates")
        visibility = (_visibility(message, geometry, shape[0], f"{where}[{j}]")
                      if keypoints or len(message.visibility) else None)
        keyframes.append(Keyframe(frame=message.frame, coords=flat[start:start + size]
                                  .reshape(shape), attributes=attributes, visibility=visibility))
        start += size
    return tuple(keyframes)


def tracks_from_proto(tracks: Sequence[pb.Track], field: str) -> list[Track]:
    if len(tracks) > MAX_TRACKS:
        raise InvalidArgument.of(field, f"more than {MAX_TRACKS} tracks")
    converted = []
    for i, message in enumerate(tracks):
        where = f"{field}[{i}]"
        geometry = GEOMETRY_OF.get(message.geometry_type)
        if geometry is None:
            raise InvalidArgument.of(f"{where}.geometry_type", "required: a geometry type")
        if message.track_id < 0:
            raise InvalidArgument.of(f"{where}.track_id", "must be >= 0")
        if message.category_id < 0:
            raise InvalidArgument.of(f"{where}.category_id", "must be >= 0")
        dim = message.dimensions or 2
        if dim not in (2, 3) or (dim == 3 and geometry in (Geometry.BBOX, Geometry.KEYPOINTS)):
            raise InvalidArgument.of(f"{where}.dimensions", "2 or 3 (3 only for points, "
                                                            "polygons and polylines)")
        converted.append(Track(
            track_id=message.track_id, category_id=message.category_id, geometry=geometry,
            keyframes=_keyframes(message.keyframes, geometry, dim, f"{where}.keyframes"),
            track_attributes=jsondoc.parse_object(message.track_attributes_json,
                                                  f"{where}.track_attributes_json"),
        ))
    return converted


def options_from_proto(message: pb.InterpolationOptions) -> InterpolationOptions:
    return InterpolationOptions(
        by_timestamp=message.mode == common_pb2.INTERPOLATION_MODE_TIMESTAMP,
        extrapolate_cuboid_position=message.extrapolate_cuboid_position,
    )


def check_frame_count(frame_count: int, field: str) -> int:
    if not 0 < frame_count <= MAX_FRAMES:
        raise InvalidArgument.of(field, f"must be in [1, {MAX_FRAMES}]")
    return frame_count
