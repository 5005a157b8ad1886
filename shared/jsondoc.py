"""JSON documents on the wire: parsed once, with limits, errors naming the field."""

from __future__ import annotations

import json
from typing import Any

from shared.errors import InvalidArgument
from shared.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_JSON_KEY_LENGTH


def _within_limits(item: dict[str, Any] | list[Any], depth: int = 1) -> bool:
    """Depth and key lengths of a container within the limits. Recursive over containers
    only, and never deeper than MAX_JSON_DEPTH + 1 calls (it stops there); builds no paths
    (the common case is a good document)."""
    if depth > MAX_JSON_DEPTH:
        return False
    values: Any = item
    if type(item) is dict:
        if item and max(map(len, item)) > MAX_JSON_KEY_LENGTH:
            return False
        values = item.values()
    for value in values:
        kind = type(value)
        if (kind is dict or kind is list) and not _within_limits(value, depth + 1):
            return False
    return True


def _first_problem(value: Any, field: str) -> tuple[str, str]:
    """Where a document `_within_limits` rejected is over a limit, and which (slower:
    it builds the JSON path of every container it visits)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, field)]
    while stack:
        item, depth, path = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            return path, f"at most {MAX_JSON_DEPTH} levels of nesting"
        if isinstance(item, dict):
            if any(len(key) > MAX_JSON_KEY_LENGTH for key in item):
                return path, f"object keys of at most {MAX_JSON_KEY_LENGTH} characters"
            stack.extend((v, depth + 1, f"{path}.{k}") for k, v in reversed(item.items()))
        else:
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))
    return field, "over a JSON limit"  # not reached for a document _within_limits rejects


def document_problem(value: Any, field: str) -> tuple[str, str] | None:
    """None for a document within the depth and key limits, else (JSON path, limit)."""
    if not isinstance(value, dict | list) or _within_limits(value):
        return None
    return _first_problem(value, field)


def parse_object(text: str, field: str, *, allow_empty: bool = True) -> dict[str, Any]:
    """Parses JSON text that must be an object; "" is {} when allowed. Its size is checked
    before it is parsed, its depth and keys after."""
    if len(text) > MAX_JSON_BYTES:
        raise InvalidArgument.of(field, f"at most {MAX_JSON_BYTES} characters, got {len(text)}")
    if not text.strip():
        if allow_empty:
            return {}
        raise InvalidArgument.of(field, "required: a JSON object")
    try:
        value = json.loads(text)
    except RecursionError as exc:  # far deeper than the limit
        raise InvalidArgument.of(field, f"at most {MAX_JSON_DEPTH} levels of nesting") from exc
    except ValueError as exc:
        raise InvalidArgument.of(field, f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidArgument.of(field, "must be a JSON object")
    problem = document_problem(value, field)
    if problem is not None:
        raise InvalidArgument.of(*problem)
    return value


def dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
