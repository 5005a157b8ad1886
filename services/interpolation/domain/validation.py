"""Input validation: every bad value is reported with its field path, keyframes get sorted."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InterpolationInputError
from .tracks import Geometry, Keyframe, Track

# A quaternion this far from unit length is rejected rather than silently renormalised.
QUATERNION_NORM_TOLERANCE = 1e-4


@dataclass(frozen=True, eq=False)
class CheckedTrack:
    """A validated track with its keyframes sorted by frame.

    frames: (M,) int64 sorted; removed: (M,) bool; coords/visibility/attributes: per sorted
    keyframe (None for a remove-keyframe); source: (M,) int64, the keyframe's input position.
    """

    index: int
    track: Track
    frames: np.ndarray
    removed: np.ndarray
    coords: list[np.ndarray | None]
    visibility: list[np.ndarray | None]
    attributes: list[Mapping[str, Any]]
    source: np.ndarray


def _is_int(value: object) -> bool:
    # `type(...) is int` first: the common case, and it already excludes bool.
    return type(value) is int or isinstance(value, np.integer)


def check_frame_count(frame_count: object) -> int:
    if not _is_int(frame_count) or int(frame_count) < 0:  # type: ignore[call-overload]
        raise InterpolationInputError("frame_count", "must be an integer >= 0")
    return int(frame_count)  # type: ignore[call-overload]


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


def _check_coords(geometry: Geometry, value: object, where: str) -> np.ndarray:
    if value is None:
        raise InterpolationInputError(f"{where}.coords", "a state keyframe needs coordinates")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InterpolationInputError(f"{where}.coords", "must be an array of numbers") from exc
    shape = arr.shape
    if geometry is Geometry.BBOX:
        ok, expected = shape == (2, 2), "(2, 2)"
    elif geometry is Geometry.POINT:
        ok, expected = len(shape) == 2 and shape[0] == 1 and shape[1] in (2, 3), "(1, 2|3)"
    elif geometry is Geometry.POLYGON:
        ok, expected = len(shape) == 2 and shape[0] >= 3 and shape[1] in (2, 3), "(V >= 3, 2|3)"
    elif geometry is Geometry.POLYLINE:
        ok, expected = len(shape) == 2 and shape[0] >= 2 and shape[1] in (2, 3), "(V >= 2, 2|3)"
    elif geometry is Geometry.KEYPOINTS:
        ok, expected = len(shape) == 2 and shape[0] >= 1 and shape[1] == 2, "(K >= 1, 2)"
    else:
        ok, expected = shape in ((7,), (11,)), "(7,) or (11,)"
    if not ok:
        raise InterpolationInputError(
            f"{where}.coords",
            f"{geometry.name} coordinates must have shape {expected}, got {shape}",
        )
    # Finiteness is checked per track, on all keyframes at once (see `_check_finite`).
    if geometry is Geometry.CUBOID:
        if not np.isfinite(arr).all():  # before the yaw test, which NaN would pass
            raise InterpolationInputError(f"{where}.coords", "coordinates must be finite")
        if not -math.pi <= arr[6] <= math.pi:
            raise InterpolationInputError(f"{where}.coords", f"yaw {arr[6]!r} is outside [-pi, pi]")
        if arr.shape[0] == 11:
            norm = math.sqrt(float(arr[7:] @ arr[7:]))
            if abs(norm - 1.0) > QUATERNION_NORM_TOLERANCE:
                raise InterpolationInputError(
                    f"{where}.coords", f"quaternion must have unit length, has {norm!r}"
                )
    return arr


def _check_visibility(value: object, count: int, where: str) -> np.ndarray:
    if value is None:
        raise InterpolationInputError(f"{where}.visibility", "KEYPOINTS keyframes need visibility")
    arr = np.asarray(value)
    if arr.shape != (count,) or not (arr.dtype.kind in "iu" or arr.size == 0):
        raise InterpolationInputError(
            f"{where}.visibility", f"must be {count} integer flags, got {arr.dtype} {arr.shape}"
        )
    return arr.astype(np.int32)


def _check_keyframe(
    geometry: Geometry, kf: object, frame_count: int, where: str
) -> tuple[int, bool, np.ndarray | None, np.ndarray | None, Mapping[str, Any]]:
    if not isinstance(kf, Keyframe):
        raise InterpolationInputError(where, "must be a Keyframe")
    if not _is_int(kf.frame):
        raise InterpolationInputError(f"{where}.frame", "must be an integer")
    frame = int(kf.frame)
    if not 0 <= frame < frame_count:
        raise InterpolationInputError(
            f"{where}.frame", f"frame {frame} is outside the sequence [0, {frame_count})"
        )
    if not isinstance(kf.attributes, Mapping):
        raise InterpolationInputError(f"{where}.attributes", "must be a mapping")
    if kf.removed:  # its coordinates, if any, are ignored (as the API contract says)
        return frame, True, None, None, kf.attributes
    coords = _check_coords(geometry, kf.coords, where)
    visibility = None
    if geometry is Geometry.KEYPOINTS:
        visibility = _check_visibility(kf.visibility, coords.shape[0], where)
    elif kf.visibility is not None:
        raise InterpolationInputError(f"{where}.visibility", "only KEYPOINTS have visibility")
    return frame, False, coords, visibility, kf.attributes


def _check_consistency(geometry: Geometry, checked: CheckedTrack, where: str) -> None:
    """Within a track: one D, one keypoint count; quaternions on both ends of every pair."""
    first: np.ndarray | None = None
    prev: np.ndarray | None = None
    for m, coords in enumerate(checked.coords):
        path = f"{where}.keyframes[{int(checked.source[m])}].coords"
        if coords is None:
            prev = None
            continue
        if first is None:
            first = coords
        elif geometry in (Geometry.POINT, Geometry.POLYGON, Geometry.POLYLINE):
            if coords.shape[1] != first.shape[1]:
                raise InterpolationInputError(
                    path, f"dimension {coords.shape[1]} differs from the track's {first.shape[1]}"
                )
        elif geometry is Geometry.KEYPOINTS and coords.shape[0] != first.shape[0]:
            raise InterpolationInputError(
                path, f"keypoint count {coords.shape[0]} differs from the track's {first.shape[0]}"
            )
        if geometry is Geometry.CUBOID and prev is not None and prev.shape != coords.shape:
            raise InterpolationInputError(
                path, "a quaternion is on one keyframe of an interpolated pair but not the other"
            )
        prev = coords


def _check_finite(rows: list[tuple[Any, ...]], where: str) -> None:
    """All state coordinates of a track finite: one vectorised test, then find the culprit."""
    arrays = [r[2].reshape(-1) for r in rows if r[2] is not None]
    if not arrays or np.isfinite(np.concatenate(arrays)).all():
        return
    for j, r in enumerate(rows):
        if r[2] is not None and not np.isfinite(r[2]).all():
            raise InterpolationInputError(
                f"{where}.keyframes[{j}].coords", "coordinates must be finite"
            )


def check_track(track: object, i: int, frame_count: int) -> CheckedTrack:
    where = f"tracks[{i}]"
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
    seen: dict[int, int] = {}
    rows = []
    for j, kf in enumerate(track.keyframes):
        kw = f"{where}.keyframes[{j}]"
        row = _check_keyframe(track.geometry, kf, frame_count, kw)
        if row[0] in seen:
            raise InterpolationInputError(
                f"{kw}.frame",
                f"duplicate keyframe on frame {row[0]} (also keyframes[{seen[row[0]]}])",
            )
        seen[row[0]] = j
        rows.append(row)
    _check_finite(rows, where)
    frames = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    order = np.argsort(frames, kind="stable")
    checked = CheckedTrack(
        index=i,
        track=track,
        frames=frames[order],
        removed=np.fromiter((rows[m][1] for m in order), dtype=bool, count=len(rows)),
        coords=[rows[m][2] for m in order],
        visibility=[rows[m][3] for m in order],
        attributes=[rows[m][4] for m in order],
        source=order.astype(np.int64),
    )
    if track.geometry is not Geometry.BBOX:  # a bbox is always (2, 2): nothing to compare
        _check_consistency(track.geometry, checked, where)
    return checked


def check_tracks(tracks: object, frame_count: int) -> list[CheckedTrack]:
    if not isinstance(tracks, Sequence):
        raise InterpolationInputError("tracks", "must be a sequence of Track")
    checked = [check_track(track, i, frame_count) for i, track in enumerate(tracks)]
    ids: dict[int, int] = {}
    for c in checked:
        tid = int(c.track.track_id)
        if tid in ids:
            raise InterpolationInputError(
                f"tracks[{c.index}].track_id", f"duplicate track id {tid} (also tracks[{ids[tid]}])"
            )
        ids[tid] = c.index
    return checked
