"""Input validation: every bad value is reported with its field path, keyframes get sorted.

Two steps: `table_from_tracks` checks what only objects can get wrong (types, array
shapes) and lays `Track` objects out as a `TrackTable`; `check_table` checks every value
rule on the whole table at once (vectorised, no Python step per keyframe) and sorts each
geometry family's keyframes by (track, frame).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

import numpy as np

from .errors import InterpolationInputError
from .table import TrackTable, concatenate, offsets_of, ragged_index
from .tracks import Geometry, Keyframe, Track

# A quaternion this far from unit length is rejected rather than silently renormalised.
QUATERNION_NORM_TOLERANCE = 1e-4
# Geometries whose point dimension is 2 or 3 (the others are 2-D or, cuboids, flat).
DIMENSIONED = (Geometry.POINT, Geometry.POLYGON, Geometry.POLYLINE)


def _is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    # `type(...) is int` first: the common case, and it already excludes bool.
    return type(value) is int or isinstance(value, np.integer)


def check_frame_count(frame_count: object) -> int:
    if not _is_int(frame_count) or int(frame_count) < 0:
        raise InterpolationInputError("frame_count", "must be an integer >= 0")
    return int(frame_count)


def check_timestamps(timestamps: object, frame_count: int) -> np.ndarray | None:
    """Timestamps: (frame_count,) finite, strictly increasing; returned as float64."""
    if timestamps is None:
        return None
    try:
        ts = np.asarray(timestamps, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InterpolationInputError("timestamps", "must be numbers") from exc
    if ts.shape != (frame_count,):
        raise InterpolationInputError(
            "timestamps", f"expected {frame_count} timestamps (one per frame), got shape {ts.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(ts))
    if bad.size:
        raise InterpolationInputError(f"timestamps[{bad[0]}]", "must be finite")
    bad = np.flatnonzero(np.diff(ts) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise InterpolationInputError(
            f"timestamps[{i}]",
            f"timestamps must be strictly increasing ({ts[i]!r} after {ts[i - 1]!r})",
        )
    return ts


# ---- Track objects -> TrackTable -------------------------------------------------------


def _shape_ok(geometry: Geometry, shape: tuple[int, ...]) -> tuple[bool, str]:
    if geometry is Geometry.BBOX:
        return shape == (2, 2), "(2, 2)"
    if geometry is Geometry.POINT:
        return len(shape) == 2 and shape[0] == 1 and shape[1] in (2, 3), "(1, 2|3)"
    if geometry is Geometry.POLYGON:
        return len(shape) == 2 and shape[0] >= 3 and shape[1] in (2, 3), "(V >= 3, 2|3)"
    if geometry is Geometry.POLYLINE:
        return len(shape) == 2 and shape[0] >= 2 and shape[1] in (2, 3), "(V >= 2, 2|3)"
    if geometry is Geometry.KEYPOINTS:
        return len(shape) == 2 and shape[0] >= 1 and shape[1] == 2, "(K >= 1, 2)"
    return shape in ((7,), (11,)), "(7,) or (11,)"


_FLOAT64 = np.dtype(np.float64)


def _coords(geometry: Geometry, value: object, where: str) -> np.ndarray:
    if value is None:
        raise InterpolationInputError(f"{where}.coords", "a state keyframe needs coordinates")
    if type(value) is np.ndarray and value.dtype is _FLOAT64:
        arr = value  # the common case: no conversion, no copy
    else:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InterpolationInputError(f"{where}.coords", "must be an array of numbers") from exc
    ok, expected = _shape_ok(geometry, arr.shape)
    if not ok:
        raise InterpolationInputError(
            f"{where}.coords",
            f"{geometry.name} coordinates must have shape {expected}, got {arr.shape}",
        )
    return arr


def _visibility(value: object, count: int, where: str) -> np.ndarray:
    if value is None:
        raise InterpolationInputError(f"{where}.visibility", "KEYPOINTS keyframes need visibility")
    arr = np.asarray(value)
    if arr.shape != (count,) or not (arr.dtype.kind in "iu" or arr.size == 0):
        raise InterpolationInputError(
            f"{where}.visibility", f"must be {count} integer flags, got {arr.dtype} {arr.shape}"
        )
    return arr.astype(np.int32)


def _track_head(track: object, where: str) -> Track:
    if not isinstance(track, Track):
        raise InterpolationInputError(where, "must be a Track")
    if not isinstance(track.geometry, Geometry):
        raise InterpolationInputError(f"{where}.geometry", "must be a Geometry")
    for name in ("track_id", "category_id"):
        if not _is_int(getattr(track, name)):
            raise InterpolationInputError(f"{where}.{name}", "must be an integer")
    if not isinstance(track.track_attributes, Mapping):
        raise InterpolationInputError(f"{where}.track_attributes", "must be a mapping")
    if not isinstance(track.keyframes, Sequence):
        raise InterpolationInputError(f"{where}.keyframes", "must be a sequence of Keyframe")
    return track


def table_from_tracks(tracks: object) -> TrackTable:
    """`Track` objects as a table, after the checks only objects need (types, shapes, one
    point dimension per track); value rules are `check_table`'s."""
    if not isinstance(tracks, Sequence):
        raise InterpolationInputError("tracks", "must be a sequence of Track")
    frames: list[int] = []
    removed: list[bool] = []
    attributes: list[Mapping[str, Any]] = []
    coords: list[np.ndarray] = []
    value_counts: list[int] = []
    visibility: list[np.ndarray] = []
    visibility_counts: list[int] = []
    dimensions: list[int] = []
    for i, raw in enumerate(tracks):
        where = f"tracks[{i}]"
        track = _track_head(raw, where)
        geometry = track.geometry
        dim = None
        keypoints = geometry is Geometry.KEYPOINTS
        dimensioned = geometry in DIMENSIONED
        for j, kf in enumerate(track.keyframes):
            # The keyframe's name is only spelled out for an error: most keyframes have none.
            if type(kf) is not Keyframe and not isinstance(kf, Keyframe):
                raise InterpolationInputError(f"{where}.keyframes[{j}]", "must be a Keyframe")
            frame = kf.frame
            if type(frame) is not int and not _is_int(frame):
                raise InterpolationInputError(f"{where}.keyframes[{j}].frame", "must be an integer")
            if type(kf.attributes) is not dict and not isinstance(kf.attributes, Mapping):
                raise InterpolationInputError(
                    f"{where}.keyframes[{j}].attributes", "must be a mapping"
                )
            frames.append(int(frame))
            removed.append(bool(kf.removed))
            attributes.append(kf.attributes)
            if kf.removed:  # its coordinates, if any, are ignored (as the API contract says)
                value_counts.append(0)
                visibility_counts.append(0)
                continue
            arr = _coords(geometry, kf.coords, f"{where}.keyframes[{j}]")
            if dimensioned:
                if dim is None:
                    dim = arr.shape[1]
                elif arr.shape[1] != dim:
                    raise InterpolationInputError(
                        f"{where}.keyframes[{j}].coords",
                        f"dimension {arr.shape[1]} differs from the track's {dim}",
                    )
            coords.append(arr.reshape(-1))
            value_counts.append(arr.size)
            if keypoints:
                flags = _visibility(kf.visibility, arr.shape[0], f"{where}.keyframes[{j}]")
                visibility.append(flags)
                visibility_counts.append(flags.shape[0])
            elif kf.visibility is not None:
                raise InterpolationInputError(
                    f"{where}.keyframes[{j}].visibility", "only KEYPOINTS have visibility"
                )
            else:
                visibility_counts.append(0)
        dimensions.append(dim or 2)
    tracks = list(tracks)
    return TrackTable(
        track_id=np.array([int(t.track_id) for t in tracks], dtype=np.int64),
        category_id=np.array([int(t.category_id) for t in tracks], dtype=np.int64),
        geometry=tuple(t.geometry for t in tracks),
        dimensions=np.array(dimensions, dtype=np.int64),
        track_attributes=tuple(t.track_attributes for t in tracks),
        keyframe_counts=np.array([len(t.keyframes) for t in tracks], dtype=np.int64),
        frame=np.array(frames, dtype=np.int64),
        removed=np.array(removed, dtype=bool),
        attributes=tuple(attributes),
        value_counts=np.array(value_counts, dtype=np.int64),
        values=concatenate(coords, np.float64),
        visibility_counts=np.array(visibility_counts, dtype=np.int64),
        visibility=concatenate(visibility, np.int32),
    )


# ---- TrackTable checks, vectorised -----------------------------------------------------


@dataclass(frozen=True, eq=False)
class CheckedFamily:
    """The validated tracks of one geometry, keyframes sorted by (track, frame).

    track_index: (T,) int64, the family's tracks in the request (request order);
    keyframe_counts: (T,) int64; frame (M,) int64 and removed (M,) bool, sorted by frame
    within each track; rows: (R,) int64, the table row of each state keyframe in that
    order (the family's "state rows", which the pieces and kernels index).
    """

    geometry: Geometry
    table: TrackTable
    track_index: np.ndarray
    keyframe_counts: np.ndarray
    frame: np.ndarray
    removed: np.ndarray
    rows: np.ndarray

    @property
    def dimension(self) -> int:
        """The point dimension of the family's states (one per family, checked)."""
        if self.geometry not in DIMENSIONED or not self.rows.size:
            return 2
        return int(self.table.dimensions[self.table.keyframe_track[self.rows[0]]])

    def state_values(self, width: int) -> np.ndarray:
        """(R, width) float64: each state keyframe's values, NaN after its own count."""
        counts = self.table.value_counts[self.rows]
        starts = offsets_of(self.table.value_counts)[self.rows]
        out = np.full((self.rows.shape[0], width), np.nan)
        if np.all(counts == width):
            out[:] = self.table.values[ragged_index(starts, counts)].reshape(-1, width)
        else:
            at = ragged_index(np.arange(counts.shape[0]) * width, counts)
            out.reshape(-1)[at] = self.table.values[ragged_index(starts, counts)]
        return out

    def state_arrays(self) -> list[np.ndarray]:
        """(V_r, D) float64 per state keyframe (ragged families)."""
        dim = self.dimension
        starts = offsets_of(self.table.value_counts)[self.rows].tolist()
        counts = self.table.value_counts[self.rows].tolist()
        values = self.table.values
        return [values[s : s + c].reshape(-1, dim) for s, c in zip(starts, counts, strict=True)]

    def state_visibility(self) -> list[np.ndarray]:
        starts = offsets_of(self.table.visibility_counts)[self.rows].tolist()
        counts = self.table.visibility_counts[self.rows].tolist()
        flags = self.table.visibility
        return [flags[s : s + c] for s, c in zip(starts, counts, strict=True)]

    def state_attributes(self) -> list[Mapping[str, Any]]:
        attributes = self.table.attributes
        return [attributes[r] for r in self.rows.tolist()]


class _Failure:
    """Raises for the first keyframe of a mask, naming its field in the request."""

    def __init__(self, table: TrackTable) -> None:
        self.track = table.keyframe_track
        self.position = table.keyframe_position

    def first(self, mask: np.ndarray, name: str, message: Any) -> None:
        bad = np.flatnonzero(mask)
        if bad.size:
            self.at(int(bad[0]), name, message)

    def at(self, m: int, name: str, message: Any) -> None:
        raise InterpolationInputError(
            f"tracks[{self.track[m]}].keyframes[{self.position[m]}].{name}",
            message(m) if callable(message) else message,
        )


_SHAPE_TEXT = {
    Geometry.BBOX: "(2, 2): 4 values",
    Geometry.POINT: "(1, D): D values",
    Geometry.POLYGON: "(V >= 3, D): a multiple of D, at least 3 vertices",
    Geometry.POLYLINE: "(V >= 2, D): a multiple of D, at least 2 vertices",
    Geometry.KEYPOINTS: "(K >= 1, 2): a multiple of 2",
    Geometry.CUBOID: "(7,) or (11,)",
}


def _shape_mask(geometry: Geometry, counts: np.ndarray, dim: np.ndarray) -> np.ndarray:
    """(n,) bool: the value counts that are a valid shape of the geometry."""
    if geometry is Geometry.BBOX:
        return cast(np.ndarray, counts == 4)
    if geometry is Geometry.POINT:
        return cast(np.ndarray, counts == dim)
    if geometry in (Geometry.POLYGON, Geometry.POLYLINE):
        least = 3 if geometry is Geometry.POLYGON else 2
        return cast(np.ndarray, (counts % dim == 0) & (counts >= least * dim))
    if geometry is Geometry.KEYPOINTS:
        return cast(np.ndarray, (counts % 2 == 0) & (counts >= 2))
    return cast(np.ndarray, (counts == 7) | (counts == 11))


def _check_values(table: TrackTable, code: np.ndarray, fail: _Failure, frame_count: int) -> None:
    """Frames in range, shapes, visibility counts, finite values, cuboid yaw and rotation."""
    fail.first((table.frame < 0) | (table.frame >= frame_count), "frame",
               lambda m: f"frame {table.frame[m]} is outside the sequence [0, {frame_count})")
    state = ~table.removed
    kf_code = code[fail.track]
    dim = table.dimensions[fail.track]
    counts = table.value_counts
    for g, geometry in enumerate(Geometry):
        mine = state & (kf_code == g)
        if not mine.any():
            continue
        fail.first(mine & ~_shape_mask(geometry, counts, dim), "coords", lambda m, geo=geometry: (
            f"{geo.name} coordinates must have shape {_SHAPE_TEXT[geo]}, "
            f"got {counts[m]} values (D = {dim[m]})"))
    keypoints = state & (kf_code == list(Geometry).index(Geometry.KEYPOINTS))
    flags = table.visibility_counts
    fail.first(keypoints & (flags != counts // 2), "visibility",
               lambda m: f"must be {counts[m] // 2} integer flags, got {flags[m]}")
    fail.first(state & ~keypoints & (table.visibility_counts > 0), "visibility",
               "only KEYPOINTS have visibility")
    if not np.isfinite(table.values).all():
        owner = np.repeat(np.arange(counts.shape[0]), counts)
        bad = np.zeros(counts.shape[0], dtype=bool)
        bad[owner[~np.isfinite(table.values)]] = True
        fail.first(state & bad, "coords", "coordinates must be finite")
    cuboids = np.flatnonzero(state & (kf_code == list(Geometry).index(Geometry.CUBOID)))
    if cuboids.size:
        start = offsets_of(counts)[cuboids]
        yaw = table.values[start + 6]
        outside = np.flatnonzero(~((yaw >= -math.pi) & (yaw <= math.pi)))
        if outside.size:
            fail.at(int(cuboids[outside[0]]), "coords",
                    f"yaw {yaw[outside[0]]!r} is outside [-pi, pi]")
        rotated = counts[cuboids] == 11
        q = table.values[start[rotated, None] + np.arange(7, 11)]
        norm = np.sqrt(np.einsum("ij,ij->i", q, q))
        off = np.abs(norm - 1.0) > QUATERNION_NORM_TOLERANCE
        for m, n in zip(cuboids[rotated][off][:1].tolist(), norm[off][:1].tolist(), strict=True):
            fail.at(m, "coords", f"quaternion must have unit length, has {n!r}")


def _first_of_each(groups: np.ndarray) -> np.ndarray:
    """groups (n,) sorted -> (n,) int64: for each element, the position of its group's first."""
    _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    return first[inverse]


def _check_sorted(table: TrackTable, code: np.ndarray, fail: _Failure, frame_count: int,
                  order: np.ndarray) -> None:
    """On keyframes in (track, frame) order: duplicates, one keypoint count per track, and
    a quaternion on both ends of every interpolated cuboid pair or on neither."""
    track = fail.track[order]
    key = track * (frame_count + 1) + table.frame[order]
    same = key[1:] == key[:-1]
    if same.any():
        later, earlier = order[1:][same], order[:-1][same]
        k = int(np.argmin(later))  # the first duplicate in input order
        fail.at(int(later[k]), "frame", f"duplicate keyframe on frame {table.frame[later[k]]} "
                                        f"(also keyframes[{fail.position[earlier[k]]}])")
    state = ~table.removed[order]
    counts = table.value_counts[order]
    kf_code = code[track]
    kp = state & (kf_code == list(Geometry).index(Geometry.KEYPOINTS))
    if kp.any():
        rows = np.flatnonzero(kp)
        first = counts[rows][_first_of_each(track[rows])]
        bad = rows[counts[rows] != first]
        if bad.size:
            m = int(order[bad[0]])
            fail.at(m, "coords", f"keypoint count {counts[bad[0]] // 2} differs from the "
                                 f"track's {first[counts[rows] != first][0] // 2}")
    cub = state & (kf_code == list(Geometry).index(Geometry.CUBOID))
    if cub.any():
        pair = cub[1:] & cub[:-1] & (track[1:] == track[:-1]) & (counts[1:] != counts[:-1])
        bad = np.flatnonzero(pair)
        if bad.size:
            fail.at(int(order[bad[0] + 1]), "coords",
                    "a quaternion is on one keyframe of an interpolated pair but not the other")


def _check_family_dimensions(table: TrackTable, code: np.ndarray, fail: _Failure,
                             order: np.ndarray) -> None:
    """One point dimension per family (its states share one array): per family, the tracks
    with a state keyframe all have the first such track's."""
    state_rows = order[~table.removed[order]]
    has_state = np.zeros(len(table), dtype=bool)
    has_state[fail.track[state_rows]] = True
    first_state = np.full(len(table), -1, dtype=np.int64)
    owners = fail.track[state_rows]
    first_state[owners] = state_rows[_first_of_each(owners)]
    for geometry in DIMENSIONED:
        members = np.flatnonzero(has_state & (code == list(Geometry).index(geometry)))
        if not members.size:
            continue
        dims = table.dimensions[members]
        bad = np.flatnonzero(dims != dims[0])
        if bad.size:
            fail.at(int(first_state[members[bad[0]]]), "coords",
                    f"dimension {dims[bad[0]]} differs from other {geometry.name} "
                    f"tracks' {dims[0]}")


def _check_track_ids(table: TrackTable) -> None:
    order = np.argsort(table.track_id, kind="stable")
    same = table.track_id[order][1:] == table.track_id[order][:-1]
    if same.any():
        later, earlier = order[1:][same], order[:-1][same]
        k = int(np.argmin(later))
        raise InterpolationInputError(
            f"tracks[{later[k]}].track_id",
            f"duplicate track id {table.track_id[later[k]]} (also tracks[{earlier[k]}])",
        )


def geometry_codes(table: TrackTable) -> np.ndarray:
    """(T,) int64: each track's geometry as its position in `Geometry`."""
    index = {g: i for i, g in enumerate(Geometry)}
    return np.fromiter((index[g] for g in table.geometry), dtype=np.int64, count=len(table))


def check_table(table: TrackTable, frame_count: int) -> list[CheckedFamily]:
    """Every value rule of DESIGN §6 inputs, on the whole table at once; the families present,
    in `Geometry` order."""
    for i, geometry in enumerate(table.geometry):
        if not isinstance(geometry, Geometry):
            raise InterpolationInputError(f"tracks[{i}].geometry", "must be a Geometry")
    code = geometry_codes(table)
    dimensioned = np.isin(code, [list(Geometry).index(g) for g in DIMENSIONED])
    bad = np.flatnonzero(dimensioned & ~np.isin(table.dimensions, (2, 3)))
    if bad.size:
        raise InterpolationInputError(f"tracks[{bad[0]}].dimensions", "must be 2 or 3")
    fail = _Failure(table)
    _check_values(table, code, fail, frame_count)
    # Frames are in range now, so (track, frame) is one int64 key.
    key = fail.track * (frame_count + 1) + table.frame
    order = np.argsort(key, kind="stable")
    _check_sorted(table, code, fail, frame_count, order)
    _check_family_dimensions(table, code, fail, order)
    _check_track_ids(table)
    families = []
    sorted_code = code[fail.track[order]]
    for g, geometry in enumerate(Geometry):
        members = np.flatnonzero(code == g)
        if not members.size:
            continue
        mine = order[sorted_code == g]
        removed = table.removed[mine]
        families.append(CheckedFamily(
            geometry=geometry,
            table=table,
            track_index=members.astype(np.int64),
            keyframe_counts=table.keyframe_counts[members],
            frame=table.frame[mine],
            removed=removed,
            rows=mine[~removed],
        ))
    return families
