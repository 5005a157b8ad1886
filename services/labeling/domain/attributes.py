"""Attribute values against their definitions (select, number bounds, mandatory, ...)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from services.labeling.domain.models import AttributeDefinition, InputType
from shared.errors import Violations


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def value_problem(definition: AttributeDefinition, value: Any) -> str | None:
    """None when `value` fits the definition, else why not."""
    kind = definition.input_type
    if kind is InputType.SELECT:
        if not isinstance(value, str) or value not in definition.values:
            return f"must be one of {list(definition.values)}"
    elif kind is InputType.MULTISELECT:
        if not isinstance(value, list) or any(
            not isinstance(v, str) or v not in definition.values for v in value
        ):
            return f"must be a list of values among {list(definition.values)}"
    elif kind is InputType.TEXT:
        if not isinstance(value, str):
            return "must be a string"
    elif kind is InputType.NUMBER:
        if not is_number(value):
            return "must be a finite number"
        if definition.min is not None and value < definition.min:
            return f"must be >= {definition.min}"
        if definition.max is not None and value > definition.max:
            return f"must be <= {definition.max}"
    elif kind is InputType.CHECKBOX:
        if not isinstance(value, bool):
            return "must be true or false"
    else:
        size = 3 if kind is InputType.VECTOR3 else 4
        if not (isinstance(value, list) and len(value) == size and all(map(is_number, value))):
            return f"must be a list of {size} numbers"
    return None


def check_attributes(violations: Violations, values: Any,
                     definitions: Mapping[str, AttributeDefinition], path: str, *,
                     mandatory: bool) -> None:
    """Checks an `attributes` object; `mandatory` demands every mandatory attribute."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        violations.add(path, "must be an object")
        return
    for name, value in values.items():
        definition = definitions.get(name)
        if definition is None:
            known = sorted(definitions)[:20]
            violations.add(f"{path}.{name}", f"unknown attribute; known: {known}")
            continue
        if value is None and not definition.is_mandatory:
            continue
        problem = value_problem(definition, value)
        if problem:
            violations.add(f"{path}.{name}", problem)
    if mandatory:
        for name, definition in definitions.items():
            if definition.is_mandatory and values.get(name) is None:
                violations.add(f"{path}.{name}", "mandatory attribute missing")
