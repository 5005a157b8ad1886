"""Interpolated object states as annotations of the label JSON (labeling formats.py).

This is the hot path of a sequence release (one call per object per frame), so each
annotation is formatted straight to JSON text: coordinates are finite floats (the
interpolation service checks them), whose `repr` is valid JSON, and attribute values
arrive as JSON text that is embedded as is.
"""

from __future__ import annotations

from collections.abc import Sequence


def _point(values: Sequence[float], start: int, dims: int) -> str:
    return "[" + ",".join(repr(float(v)) for v in values[start:start + dims]) + "]"


def _points(values: Sequence[float], dims: int) -> str:
    return "[" + ",".join(_point(values, i, dims) for i in range(0, len(values), dims)) + "]"


def _cuboid(c: Sequence[float]) -> str:
    text = (f'"position":{{"x":{c[0]!r},"y":{c[1]!r},"z":{c[2]!r}}},'
            f'"dimensions":{{"x":{c[3]!r},"y":{c[4]!r},"z":{c[5]!r}}},"yaw":{c[6]!r}')
    if len(c) >= 11:
        text += f',"rotation":{{"qx":{c[7]!r},"qy":{c[8]!r},"qz":{c[9]!r},"qw":{c[10]!r}}}'
    return text


def geometry_json(geometry: str, coordinates: Sequence[float], visibility: Sequence[int],
                  dims: int) -> str:
    """The geometry keys of an annotation (without braces), e.g. `"points":[[1.0,2.0],...]`.

    dims: the point dimension, 2 for images, 3 for point clouds.
    """
    if geometry == "cuboid":
        return _cuboid(coordinates)
    if geometry == "bbox":
        return f'"points":{_points(coordinates, 2)}'
    if geometry == "keypoints":
        flags = ",".join(str(int(v)) for v in visibility)
        return f'"points":{_points(coordinates, 2)},"visibility":[{flags}]'
    return f'"points":{_points(coordinates, dims)}'


def annotation_json(track_id: int, category_id: int, geometry: str, is_keyframe: bool,
                    coordinates: Sequence[float], visibility: Sequence[int],
                    attributes_json: str, dims: int) -> str:
    """One annotation of a sequence frame; its id is its track id, as in the field's
    release files, so an object keeps one id across frames."""
    attributes = attributes_json or "{}"
    return (f'{{"id":{track_id},"track_id":{track_id},"category_id":{category_id},'
            f'"type":"{geometry}",{geometry_json(geometry, coordinates, visibility, dims)},'
            f'"is_keyframe":{"true" if is_keyframe else "false"},"attributes":{attributes}}}')
