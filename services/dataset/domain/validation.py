"""Checks on datasets, task attributes and sample attributes; every bad field is named."""

from __future__ import annotations

import math
import re
from typing import Any, cast

from shared.attribute_values import is_number, value_problem
from shared.errors import Violations
from shared.limits import (
    MAX_ATTRIBUTES,
    MAX_CATEGORIES,
    MAX_DESCRIPTION_LENGTH,
    MAX_FRAMES,
    MAX_NAME_LENGTH,
    MAX_SAMPLE_NAME_LENGTH,
    MAX_SENSORS,
    MAX_TEXT_LENGTH,
    MAX_URL_LENGTH,
)
from shared.task_attributes import AttributeDefinition, InputType, TaskAttributes
from shared.task_types import SENSOR_TASK_TYPES, SampleKind, TaskType, spec

NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}$")
COLOR_PATTERN = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
POINTCLOUD_TYPES = frozenset(
    {"pcd", "binary-xyz", "binary-xyzi", "kitti", "nuscenes", "ply", "las"}
)


def check_resource_name(violations: Violations, name: str, field: str) -> None:
    if not name:
        violations.add(field, "required")
    elif not NAME_PATTERN.match(name):
        violations.add(field, f"1 to {MAX_NAME_LENGTH} letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit")


def check_description(violations: Violations, text: str, field: str) -> None:
    if len(text) > MAX_DESCRIPTION_LENGTH:
        violations.add(field, f"at most {MAX_DESCRIPTION_LENGTH} characters, got {len(text)}")


def value_fits(definition: AttributeDefinition, value: Any) -> str | None:
    """None when `value` fits the definition, else why not."""
    return value_problem(definition, value)


def check_attribute_definitions(violations: Violations,
                                definitions: tuple[AttributeDefinition, ...], field: str) -> None:
    if len(definitions) > MAX_ATTRIBUTES:
        violations.add(field, f"at most {MAX_ATTRIBUTES} attributes, got {len(definitions)}")
        return
    seen: set[str] = set()
    for i, definition in enumerate(definitions):
        path = f"{field}[{i}]"
        if not definition.name:
            violations.add(f"{path}.name", "required")
        elif definition.name in seen:
            violations.add(f"{path}.name", f"duplicate attribute name {definition.name!r}")
        seen.add(definition.name)
        kind = definition.input_type
        if kind in (InputType.SELECT, InputType.MULTISELECT):
            if not definition.values:
                violations.add(f"{path}.values", f"a {kind.value} attribute needs values")
            elif len(set(definition.values)) != len(definition.values):
                violations.add(f"{path}.values", "values must be unique")
        elif definition.values:
            violations.add(f"{path}.values", "only select and multiselect take values")
        if kind is InputType.NUMBER:
            bounds = (definition.min, definition.max, definition.step)
            if any(b is not None and not math.isfinite(b) for b in bounds):
                violations.add(f"{path}", "min, max and step must be finite")
            elif (definition.min is not None and definition.max is not None
                  and definition.min > definition.max):
                violations.add(f"{path}.max", "must be >= min")
            if definition.step is not None and definition.step <= 0:
                violations.add(f"{path}.step", "must be > 0")
        if definition.default is not None:
            problem = value_fits(definition, definition.default)
            if problem:
                violations.add(f"{path}.default_value", problem)


def check_task_attributes(violations: Violations, attributes: TaskAttributes, task_type: TaskType,
                          field: str) -> None:
    categories = attributes.categories
    if len(categories) > MAX_CATEGORIES:
        violations.add(f"{field}.categories",
                       f"at most {MAX_CATEGORIES} categories, got {len(categories)}")
        return
    ids: set[int] = set()
    names: set[str] = set()
    for i, category in enumerate(categories):
        path = f"{field}.categories[{i}]"
        if category.id < 0:
            violations.add(f"{path}.id", "must be >= 0")
        elif category.id in ids:
            violations.add(f"{path}.id", f"duplicate category id {category.id}")
        ids.add(category.id)
        if not category.name:
            violations.add(f"{path}.name", "required")
        elif category.name in names:
            violations.add(f"{path}.name", f"duplicate category name {category.name!r}")
        names.add(category.name)
        if category.color and not COLOR_PATTERN.match(category.color):
            violations.add(f"{path}.color", "must be a hex color like #ff0000")
        if category.keypoint_names and task_type not in (
            TaskType.KEYPOINTS, TaskType.IMAGE_VECTOR_SEQUENCE
        ):
            violations.add(f"{path}.keypoint_names", f"not used by task type {task_type.value}")
        if len(set(category.keypoint_names)) != len(category.keypoint_names):
            violations.add(f"{path}.keypoint_names", "must be unique")
        check_attribute_definitions(violations, category.attributes, f"{path}.attributes")
    check_attribute_definitions(violations, attributes.sample_attributes,
                                f"{field}.sample_attributes")


def _check_url_holder(violations: Violations, value: Any, field: str) -> None:
    if not isinstance(value, dict):
        violations.add(field, "must be an object with a url")
    elif not isinstance(value.get("url"), str) or not value["url"]:
        violations.add(f"{field}.url", "required: a non-empty string")
    elif len(value["url"]) > MAX_URL_LENGTH:
        violations.add(f"{field}.url", f"at most {MAX_URL_LENGTH} characters, "
                                       f"got {len(value['url'])}")


def _check_vector(violations: Violations, value: Any, field: str, keys: str) -> None:
    if not isinstance(value, dict) or any(not is_number(value.get(k)) for k in keys):
        violations.add(field, f"must be an object with numbers {', '.join(keys)}")


def _check_pointcloud(violations: Violations, frame: Any, field: str) -> None:
    pcd = frame.get("pcd")
    _check_url_holder(violations, pcd, f"{field}.pcd")
    if isinstance(pcd, dict) and "type" in pcd and pcd["type"] not in POINTCLOUD_TYPES:
        violations.add(f"{field}.pcd.type", f"must be one of {sorted(POINTCLOUD_TYPES)}")
    ego_pose = frame.get("ego_pose")
    if ego_pose is not None:
        if not isinstance(ego_pose, dict):
            violations.add(f"{field}.ego_pose", "must be an object")
        else:
            _check_vector(violations, ego_pose.get("position"), f"{field}.ego_pose.position", "xyz")
            _check_vector(violations, ego_pose.get("heading"), f"{field}.ego_pose.heading",
                          ("qx", "qy", "qz", "qw"))  # type: ignore[arg-type]
    images = frame.get("images", [])
    if not isinstance(images, list):
        violations.add(f"{field}.images", "must be a list of calibrated images")
        return
    for j, image in enumerate(images):
        path = f"{field}.images[{j}]"
        _check_url_holder(violations, image, path)
        if not isinstance(image, dict):
            continue
        intrinsics = image.get("intrinsics")
        if intrinsics is not None:
            matrix = intrinsics.get("intrinsic_matrix") if isinstance(intrinsics, dict) else None
            if not (isinstance(matrix, list) and len(matrix) == 3 and all(
                isinstance(r, list) and len(r) == 3 and all(map(is_number, r)) for r in matrix
            )):
                violations.add(f"{path}.intrinsics.intrinsic_matrix", "must be 3x3 numbers")
        extrinsics = image.get("extrinsics")
        if extrinsics is not None:
            if not isinstance(extrinsics, dict):
                violations.add(f"{path}.extrinsics", "must be an object")
            else:
                _check_vector(violations, extrinsics.get("translation"),
                              f"{path}.extrinsics.translation", "xyz")
                _check_vector(violations, extrinsics.get("rotation"),
                              f"{path}.extrinsics.rotation",
                              ("qx", "qy", "qz", "qw"))  # type: ignore[arg-type]


def _check_timestamp(violations: Violations, frame: dict[str, Any], field: str) -> None:
    if "timestamp" not in frame or frame["timestamp"] is None:
        return
    value = frame["timestamp"]
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            violations.add(f"{field}.timestamp", "must be a number")
            return
    if not is_number(value):
        violations.add(f"{field}.timestamp", "must be a finite number")


def _check_frames(violations: Violations, attributes: dict[str, Any], field: str,
                  pointcloud: bool) -> None:
    frames = attributes.get("frames")
    if not isinstance(frames, list) or not frames:
        violations.add(f"{field}.frames", "required: a non-empty list of frames")
        return
    if len(frames) > MAX_FRAMES:
        violations.add(f"{field}.frames", f"at most {MAX_FRAMES} frames, got {len(frames)}")
        return
    for i, frame in enumerate(frames):
        path = f"{field}.frames[{i}]"
        if not isinstance(frame, dict):
            violations.add(path, "must be an object")
            continue
        if pointcloud:
            _check_pointcloud(violations, frame, path)
        else:
            _check_url_holder(violations, frame.get("image"), f"{path}.image")
        check_text(violations, frame.get("name", ""), f"{path}.name")
        _check_timestamp(violations, frame, path)


def check_sample_attributes(violations: Violations, attributes: dict[str, Any],
                            task_type: TaskType, field: str) -> None:
    """Checks a sample's attributes against the shape its task type needs."""
    kind = spec(task_type).sample_kind
    if kind is SampleKind.IMAGE:
        _check_url_holder(violations, attributes.get("image"), f"{field}.image")
    elif kind is SampleKind.POINTCLOUD:
        _check_pointcloud(violations, attributes, field)
    elif kind is SampleKind.IMAGE_SEQUENCE:
        _check_frames(violations, attributes, field, pointcloud=False)
    elif kind is SampleKind.POINTCLOUD_SEQUENCE:
        _check_frames(violations, attributes, field, pointcloud=True)
    else:
        _check_sensors(violations, attributes, field)


def _check_sensors(violations: Violations, attributes: dict[str, Any], field: str) -> None:
    sensors = attributes.get("sensors")
    if not isinstance(sensors, list) or not sensors:
        violations.add(f"{field}.sensors", "required: a non-empty list of sensors")
        return
    if len(sensors) > MAX_SENSORS:
        violations.add(f"{field}.sensors", f"at most {MAX_SENSORS} sensors, got {len(sensors)}")
        return
    names: set[str] = set()
    for i, sensor in enumerate(sensors):
        path = f"{field}.sensors[{i}]"
        if not isinstance(sensor, dict):
            violations.add(path, "must be an object")
            continue
        name = sensor.get("name")
        if not isinstance(name, str) or not name:
            violations.add(f"{path}.name", "required")
        elif len(name) > MAX_TEXT_LENGTH:
            violations.add(f"{path}.name", f"at most {MAX_TEXT_LENGTH} characters, "
                                           f"got {len(name)}")
        elif name in names:
            violations.add(f"{path}.name", f"duplicate sensor name {name!r}")
        else:
            names.add(name)
        try:
            # Any JSON value on purpose: TaskType() raises ValueError for all but a task type.
            sensor_task = TaskType(cast(Any, sensor.get("task_type")))
        except ValueError:
            violations.add(f"{path}.task_type", "must be a sequence task type, one of "
                           f"{sorted(t.value for t in SENSOR_TASK_TYPES)}")
            continue
        if sensor_task not in SENSOR_TASK_TYPES:
            violations.add(f"{path}.task_type", "must be a single-sensor sequence task type")
            continue
        sensor_attributes = sensor.get("attributes")
        if not isinstance(sensor_attributes, dict):
            violations.add(f"{path}.attributes", "required: an object")
            continue
        check_sample_attributes(violations, sensor_attributes, sensor_task, f"{path}.attributes")


def check_sample_name(violations: Violations, name: str, field: str) -> None:
    if not name:
        violations.add(field, "required")
    elif len(name) > MAX_SAMPLE_NAME_LENGTH:
        violations.add(field, f"at most {MAX_SAMPLE_NAME_LENGTH} characters, got {len(name)}")


def check_text(violations: Violations, value: Any, field: str) -> None:
    """An optional short text inside a JSON document (a frame's name)."""
    if not isinstance(value, str):
        violations.add(field, "must be a string")
    elif len(value) > MAX_TEXT_LENGTH:
        violations.add(field, f"at most {MAX_TEXT_LENGTH} characters, got {len(value)}")
