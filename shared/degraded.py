"""Stored values that cannot be sent as they are: shown repaired, never a failed read.

Values stored before today's input checks existed (on SQLite, which stores anything) may
hold an unpaired surrogate, which no protobuf string can carry, or NaN, which strict JSON
has not. A read of such a row sends it with those characters replaced by U+FFFD and those
numbers by null, and logs its id, so a listing or a release never fails on one row and an
admin can see and fix it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from shared import jsondoc

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("framewise.degraded")


def repaired(item: T) -> T:
    """A dataclass (or a list of them) with every text and JSON field repaired
    (`jsondoc.repaired`), nested dataclasses too."""
    if isinstance(item, list):
        return [repaired(v) for v in item]  # type: ignore[return-value]
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(item):  # type: ignore[arg-type]
        value = getattr(item, field.name)
        if isinstance(value, str | dict | list):
            changes[field.name] = jsondoc.repaired(value)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            changes[field.name] = tuple(repaired(v) for v in value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[field.name] = repaired(value)
    return dataclasses.replace(item, **changes)  # type: ignore[type-var]


def converted(convert: Callable[[T], R], item: T, what: str, key: str) -> R:
    """`convert(item)`, or where a stored value makes that fail, `convert` of the item
    repaired (logged with `what` and `key`, the resource's id)."""
    try:
        return convert(item)
    except ValueError as exc:  # UnicodeEncodeError too: a surrogate in a protobuf string
        log.warning("stored %s %s holds a value that cannot be sent (%s); sent repaired",
                    what, key, exc, extra={"resource": what, "key": key})
        return convert(repaired(item))
