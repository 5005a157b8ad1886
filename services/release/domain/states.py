"""Interpolated object states as annotations of the label JSON (shared/labels/format.py).

This is the hot path of a sequence release (one call per object per frame: millions),
so an annotation is one `str.format` of a template cached per shape (geometry, number
of coordinates, of visibility flags, point dimension): no per-coordinate Python code.
Coordinates are finite floats (the interpolation service checks them), whose `repr` is
valid JSON; attribute values arrive as JSON text and are embedded as is.
"""

from __future__ import annotations

from collections.abc import Sequence

# Argument positions in every template: 0 track id, 1 category id, 2 "true"/"false",
# 3 attributes JSON, 4 the first visibility flag, then the coordinates.
_FIXED = 4


def _points_template(first: int, count: int, dims: int) -> str:
    points = []
    for p in range(count // dims):
        coords = ",".join(f"{{{first + p * dims + d}!r}}" for d in range(dims))
        points.append(f"[{coords}]")
    return "[" + ",".join(points) + "]"


def _geometry_template(geometry: str, coordinates: int, flags: int, dims: int) -> str:
    first = _FIXED + flags
    if geometry == "cuboid":
        c = [f"{{{first + i}!r}}" for i in range(coordinates)]
        text = (f'"position":{{{{"x":{c[0]},"y":{c[1]},"z":{c[2]}}}}},'
                f'"dimensions":{{{{"x":{c[3]},"y":{c[4]},"z":{c[5]}}}}},"yaw":{c[6]}')
        if coordinates >= 11:
            text += f',"rotation":{{{{"qx":{c[7]},"qy":{c[8]},"qz":{c[9]},"qw":{c[10]}}}}}'
        return text
    if geometry in ("bbox", "keypoints"):
        dims = 2
    text = f'"points":{_points_template(first, coordinates, dims)}'
    if geometry == "keypoints":
        text += ',"visibility":[' + ",".join(f"{{{_FIXED + i}}}" for i in range(flags)) + "]"
    return text


_TEMPLATES: dict[tuple[str, int, int, int], str] = {}


def template(geometry: str, coordinates: int, flags: int, dims: int) -> str:
    """The format string of an annotation of this shape; format it with
    (track id, category id, "true"|"false", attributes JSON, *flags, *coordinates)."""
    key = (geometry, coordinates, flags, dims)
    found = _TEMPLATES.get(key)
    if found is None:
        if geometry == "cuboid" and coordinates < 7:
            raise ValueError(f"a cuboid has 7 or 11 coordinates, not {coordinates}")
        found = ('{{"id":{0},"track_id":{0},"category_id":{1},"type":"' + geometry + '",'
                 + _geometry_template(geometry, coordinates, flags, dims)
                 + ',"is_keyframe":{2},"attributes":{3}}}')
        if len(_TEMPLATES) < 10_000:  # shapes are few; never grow without bound
            _TEMPLATES[key] = found
    return found


def annotation_json(track_id: int, category_id: int, geometry: str, is_keyframe: bool,
                    coordinates: Sequence[float], visibility: Sequence[int],
                    attributes_json: str, dims: int) -> str:
    """One annotation of a sequence frame, as JSON text; its id is its track id, as in
    the field's release files, so an object keeps one id across frames.

    dims: the point dimension of points, polygons and polylines (2 images, 3 point clouds).
    """
    flags = len(visibility) if geometry == "keypoints" else 0
    return template(geometry, len(coordinates), flags, dims).format(
        track_id, category_id, "true" if is_keyframe else "false", attributes_json or "{}",
        *(visibility if flags else ()), *coordinates)
