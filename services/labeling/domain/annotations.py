"""One annotation's shape: ids, category, geometry, attributes.

Each check takes the annotation, the dataset and the JSON path of the annotation, and
adds a violation per bad field.
"""

from __future__ import annotations

import math
from typing import Any

from services.labeling.domain.attributes import check_attributes, is_int
from services.labeling.domain.models import DatasetInfo
from shared.attribute_values import is_number
from shared.errors import Violations
from shared.labels.format import MAX_ANNOTATION_ID, MAX_TRACK_ID, MAX_VISIBILITY
from shared.limits import MAX_VERTICES
from shared.task_attributes import Category

# Points a geometry type takes: (minimum, exact) — exact None means "at least minimum".
POINT_COUNTS: dict[str, tuple[int, int | None]] = {
    "bbox": (2, 2),
    "point": (1, 1),
    "polygon": (3, None),
    "polyline": (2, None),
    "keypoints": (1, None),
}
QUATERNION_TOLERANCE = 1e-3


def check_category(violations: Violations, annotation: dict[str, Any], dataset: DatasetInfo,
                   path: str) -> Category | None:
    category_id = annotation.get("category_id")
    if not is_int(category_id):
        violations.add(f"{path}.category_id", "required: an integer")
        return None
    category = dataset.task_attributes.category(category_id)
    if category is None:
        violations.add(f"{path}.category_id", f"no category {category_id} in the dataset")
    return category


def check_id(violations: Violations, annotation: dict[str, Any], path: str, *,
             minimum: int | None = None) -> None:
    value = annotation.get("id")
    if not is_int(value):
        violations.add(f"{path}.id", "required: an integer")
    elif minimum is not None and value < minimum:
        violations.add(f"{path}.id", f"must be >= {minimum}")
    elif abs(value) > MAX_ANNOTATION_ID:
        violations.add(f"{path}.id", f"must be within +-{MAX_ANNOTATION_ID} (2**53 - 1, the "
                                     "integers every JSON reader keeps exactly)")


def _check_points(violations: Violations, points: Any, kind: str, dims: int,
                  category: Category | None, path: str) -> None:
    if not isinstance(points, list):
        violations.add(path, f"required: a list of [{'x, y' if dims == 2 else 'x, y, z'}]")
        return
    if len(points) > MAX_VERTICES:
        violations.add(path, f"at most {MAX_VERTICES} points, got {len(points)}")
        return
    minimum, exact = POINT_COUNTS[kind]
    if kind == "keypoints" and category is not None and category.keypoint_names:
        exact = len(category.keypoint_names)
    if exact is not None and len(points) != exact:
        violations.add(path, f"a {kind} has exactly {exact} points, got {len(points)}")
    elif len(points) < minimum:
        violations.add(path, f"a {kind} has at least {minimum} points, got {len(points)}")
    for i, point in enumerate(points):
        if not (isinstance(point, list) and len(point) == dims and all(map(is_number, point))):
            violations.add(f"{path}[{i}]", f"must be a list of {dims} finite numbers")
            return  # one is enough: the rest is likely the same mistake


def check_vector(violations: Violations, annotation: dict[str, Any], dataset: DatasetInfo,
                 geometries: frozenset[str], dims: int, path: str, *, mandatory: bool) -> None:
    """An image (dims 2) or point-cloud (dims 3) vector annotation with geometry."""
    check_id(violations, annotation, path)
    category = check_category(violations, annotation, dataset, path)
    kind = annotation.get("type")
    if not isinstance(kind, str) or kind not in geometries:  # a list is not hashable
        violations.add(f"{path}.type", f"must be one of {sorted(geometries)}")
    else:
        _check_points(violations, annotation.get("points"), kind, dims, category,
                      f"{path}.points")
        if kind == "keypoints" and "visibility" in annotation:
            visibility = annotation["visibility"]
            points = annotation.get("points")
            if not isinstance(visibility, list) or not all(
                    is_int(v) and abs(v) <= MAX_VISIBILITY for v in visibility):
                violations.add(f"{path}.visibility", "must be a list of 32-bit integers")
            elif isinstance(points, list) and len(visibility) != len(points):
                violations.add(f"{path}.visibility", "needs one value per point")
    if category is not None:
        check_attributes(violations, annotation.get("attributes"), category.attributes_by_name,
                         f"{path}.attributes", mandatory=mandatory)


def _check_xyz(violations: Violations, value: Any, path: str, *, positive: bool = False) -> None:
    if not isinstance(value, dict) or any(not is_number(value.get(k)) for k in "xyz"):
        violations.add(path, "required: an object with finite numbers x, y, z")
    elif positive and any(value[k] <= 0 for k in "xyz"):
        violations.add(path, "x, y and z must be > 0")


def check_cuboid(violations: Violations, annotation: dict[str, Any], dataset: DatasetInfo,
                 path: str, *, mandatory: bool) -> None:
    check_id(violations, annotation, path)
    category = check_category(violations, annotation, dataset, path)
    if annotation.get("type") != "cuboid":
        violations.add(f"{path}.type", "must be 'cuboid'")
    _check_xyz(violations, annotation.get("position"), f"{path}.position")
    _check_xyz(violations, annotation.get("dimensions"), f"{path}.dimensions", positive=True)
    # Any, not Any | None: shared.attribute_values.is_number (a bool, not a TypeGuard)
    # cannot narrow it for the bounds below.
    yaw: Any = annotation.get("yaw")
    if not is_number(yaw) or not -math.pi <= yaw <= math.pi:
        violations.add(f"{path}.yaw", "required: radians in [-pi, pi]")
    rotation = annotation.get("rotation")
    if rotation is not None:
        keys = ("qx", "qy", "qz", "qw")
        if not isinstance(rotation, dict) or any(not is_number(rotation.get(k)) for k in keys):
            violations.add(f"{path}.rotation", "must be an object with numbers qx, qy, qz, qw")
        elif abs(math.sqrt(sum(rotation[k] ** 2 for k in keys)) - 1) > QUATERNION_TOLERANCE:
            violations.add(f"{path}.rotation", "must be a unit quaternion")
    if category is not None:
        check_attributes(violations, annotation.get("attributes"), category.attributes_by_name,
                         f"{path}.attributes", mandatory=mandatory)


def check_segment(violations: Violations, annotation: dict[str, Any], dataset: DatasetInfo,
                  path: str) -> None:
    """An entry of a segmentation label's annotation list (the ids in the bitmap)."""
    check_id(violations, annotation, path, minimum=1)
    category = check_category(violations, annotation, dataset, path)
    if "track_id" in annotation and not (
        is_int(annotation["track_id"]) and 1 <= annotation["track_id"] <= MAX_TRACK_ID
    ):
        violations.add(f"{path}.track_id", f"must be an integer from 1 to {MAX_TRACK_ID}")
    if category is not None:
        check_attributes(violations, annotation.get("attributes"), category.attributes_by_name,
                         f"{path}.attributes", mandatory=True)
