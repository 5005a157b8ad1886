"""JSON documents on the wire: parsed once, with limits, errors naming the field."""

from __future__ import annotations

import json
from typing import Any

from shared.errors import InvalidArgument

MAX_JSON_BYTES = 32 * 1024 * 1024
MAX_JSON_DEPTH = 32


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative, so a hostile document cannot exhaust the interpreter stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def parse_object(text: str, field: str, *, allow_empty: bool = True) -> dict[str, Any]:
    """Parses JSON text that must be an object; "" is {} when allowed."""
    if not text.strip():
        if allow_empty:
            return {}
        raise InvalidArgument.of(field, "required: a JSON object")
    if len(text) > MAX_JSON_BYTES:
        raise InvalidArgument.of(field, f"larger than {MAX_JSON_BYTES} bytes")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidArgument.of(field, f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidArgument.of(field, "must be a JSON object")
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise InvalidArgument.of(field, f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
