"""Attribute values against their definitions (select, number bounds, mandatory, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from shared.attribute_values import value_problem
from shared.errors import Violations
from shared.task_attributes import AttributeDefinition


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


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
