"""JSON documents on the wire: parsed once, with limits, errors naming the field."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from shared.errors import InvalidArgument
from shared.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_JSON_INTEGER, MAX_JSON_KEY_LENGTH
from shared.text import printable, text_problem
from shared.text import repaired as repaired_text

# Text that may hold what no database stores alike (see shared.text) or a number out of
# range: a NUL or surrogate escape, a run of 19 digits (an integer past 64 bits, or a
# float far past 1e308 written out), an exponent of three digits, NaN or Infinity. Only documents it
# matches are walked value by value, so the common document costs one regex pass.
_SUSPECT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|[\x00\ud800-\udfff]|[0-9]{19}"
                      r"|[eE][+-]?[0-9]{3}|NaN|Infinity")


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


def _number_problem(value: Any) -> str | None:
    if type(value) is float:
        if not math.isfinite(value):
            return "must be a finite number (no NaN or Infinity: strict JSON has neither)"
    elif type(value) is int and not -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER:
        return f"integers must fit in 64 bits (at most {MAX_JSON_INTEGER} in magnitude)"
    return None


def content_problem(value: Any, field: str) -> tuple[str, str] | None:
    """None for a document every database stores alike and a strict JSON reader reads,
    else (JSON path, why not): a text with NUL or an unpaired surrogate (keys too), a
    non-finite number, an integer past 64 bits. Visits every value: call it on documents
    `_SUSPECT` matched, or on small ones."""
    stack: list[tuple[Any, str]] = [(value, field)]
    while stack:
        item, path = stack.pop()
        kind = type(item)
        if kind is dict:
            for key, child in item.items():
                problem = text_problem(key)
                if problem is not None:
                    return (f"{path}.{printable(key)}",
                            f"object key {problem.removeprefix('must ')}")
                stack.append((child, f"{path}.{key}"))
        elif kind is list:
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
        elif kind is str:
            problem = text_problem(item)
            if problem is not None:
                return path, problem
        else:
            problem = _number_problem(item)
            if problem is not None:
                return path, problem
    return None


def document_problem(value: Any, field: str) -> tuple[str, str] | None:
    """None for a document within the depth and key limits whose content every database
    stores alike, else (JSON path, what is wrong)."""
    if isinstance(value, dict | list) and not _within_limits(value):
        return _first_problem(value, field)
    return content_problem(value, field)


def _non_finite(constant: str) -> float:
    # NaN and Infinity are not JSON; parsed as NaN so the walk names where they are.
    return math.nan


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
        value = json.loads(text, parse_constant=_non_finite)
    except RecursionError as exc:  # far deeper than the limit
        raise InvalidArgument.of(field, f"at most {MAX_JSON_DEPTH} levels of nesting") from exc
    except ValueError as exc:
        raise InvalidArgument.of(field, f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidArgument.of(field, "must be a JSON object")
    problem = None if _within_limits(value) else _first_problem(value, field)
    if problem is None and _SUSPECT.search(text) is not None:
        problem = content_problem(value, field)
    if problem is not None:
        raise InvalidArgument.of(*problem)
    return value


def dump(value: Any) -> str:
    """Strict JSON (no NaN or Infinity); ValueError for a value that has them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def repaired(value: Any) -> Any:
    """A document as strict readers can read it: unstorable characters of keys and texts
    replaced by U+FFFD, non-finite numbers by null (for values stored before
    `parse_object` refused them)."""
    kind = type(value)
    if kind is dict:
        return {repaired_text(k): repaired(v) for k, v in value.items()}
    if kind is list:
        return [repaired(v) for v in value]
    if kind is str:
        return repaired_text(value)
    if kind is float and not math.isfinite(value):
        return None
    return value
