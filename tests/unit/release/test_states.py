"""Object states to annotation JSON, against the obvious dict-building reference."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from services.release.domain.states import annotation_json


def reference(track: int, category: int, geometry: str, keyframe: bool, coords: list[float],
              visibility: list[int], attributes: dict[str, Any], dims: int) -> dict[str, Any]:
    out: dict[str, Any] = {"id": track, "track_id": track, "category_id": category,
                           "type": geometry}
    if geometry == "cuboid":
        out["position"] = dict(zip("xyz", coords[0:3], strict=True))
        out["dimensions"] = dict(zip("xyz", coords[3:6], strict=True))
        out["yaw"] = coords[6]
        if len(coords) == 11:
            out["rotation"] = dict(zip(("qx", "qy", "qz", "qw"), coords[7:11], strict=True))
    else:
        step = 2 if geometry in ("bbox", "keypoints") else dims
        out["points"] = [coords[i:i + step] for i in range(0, len(coords), step)]
        if geometry == "keypoints":
            out["visibility"] = visibility
    out["is_keyframe"] = keyframe
    out["attributes"] = attributes
    return out


CASES = [
    ("bbox", [0.1, 2.0, 1e-7, 123456789.125], [], 2),
    ("point", [1.5, -2.5], [], 2),
    ("point", [1.5, -2.5, 3.0], [], 3),
    ("polygon", [0.0, 0.0, 4.0, 0.0, 4.0, 3.0], [], 2),
    ("polyline", [0.0, 0.0, 1.0, 4.0, 0.0, 2.0], [], 3),
    ("keypoints", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 0, 1], 2),
    ("cuboid", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -math.pi], [], 3),
    ("cuboid", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, 0.0, 0.0, 0.247, 0.969], [], 3),
]


@pytest.mark.parametrize(("geometry", "coords", "visibility", "dims"), CASES)
@pytest.mark.parametrize("keyframe", [True, False])
def test_matches_the_reference(geometry, coords, visibility, dims, keyframe):
    attributes = {"occluded": True, "note": "a \"quoted\"\nvalue"}
    text = annotation_json(7, 3, geometry, keyframe, coords, visibility,
                           json.dumps(attributes), dims)
    assert json.loads(text) == reference(7, 3, geometry, keyframe, coords, visibility,
                                         attributes, dims)
    assert "\n" not in text


def test_floats_keep_every_bit_and_empty_attributes_are_an_object():
    value = 0.1 + 0.2
    parsed = json.loads(annotation_json(1, 1, "point", False, [value, -0.0], [], "", 2))
    assert parsed["points"][0][0] == value and parsed["attributes"] == {}


def test_a_cuboid_with_too_few_coordinates_is_an_error():
    with pytest.raises(ValueError):
        annotation_json(1, 1, "cuboid", True, [1.0, 2.0], [], "{}", 3)
