"""Whether an attribute value fits its definition: one rule for the dataset service
(checking defaults) and the labeling service (checking label attributes)."""

from __future__ import annotations

import math
from typing import Any

from shared.task_attributes import AttributeDefinition


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def value_problem(definition: AttributeDefinition, value: Any) -> str | None:
    """None when `value` fits the definition, else why not."""
    kind = str(definition.input_type)
    if kind == "select":
        if not isinstance(value, str) or value not in definition.allowed_values:
            return f"must be one of {list(definition.values)}"
    elif kind == "multiselect":
        if not isinstance(value, list) or any(
            not isinstance(v, str) or v not in definition.allowed_values for v in value
        ):
            return f"must be a list of values among {list(definition.values)}"
    elif kind == "text":
        if not isinstance(value, str):
            return "must be a string"
    elif kind == "number":
        if not is_number(value):
            return "must be a finite number"
        if definition.min is not None and value < definition.min:
            return f"must be >= {definition.min}"
        if definition.max is not None and value > definition.max:
            return f"must be <= {definition.max}"
    elif kind == "checkbox":
        if not isinstance(value, bool):
            return "must be true or false"
    elif kind in ("vector3", "quaternion"):
        size = 3 if kind == "vector3" else 4
        if not (isinstance(value, list) and len(value) == size and all(map(is_number, value))):
            return f"must be a list of {size} numbers"
    return None
