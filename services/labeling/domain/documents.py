"""Label documents as JSON text: strict where one is written, forgiving where one is read.

A document is written only if it can be served back exactly as saved, on both databases:
JSON text (RFC 8259) holding no unpaired surrogate (it has no UTF-8 form, so neither a
protobuf string nor PostgreSQL can carry it), no NaN or Infinity (not JSON; other
languages' parsers refuse them) and no NUL (PostgreSQL's JSONB refuses it; SQLite would
keep it). `encode` is the only way a save gets its JSON text, and the reply is built from
that same text, so a save can no longer commit something it then fails to answer.

Rows stored before these checks may still break them (SQLite kept `"\\ud800"` and
`NaN`; PostgreSQL turns a number such as 1e400 into an infinite float when read).
`render_stored` never fails: it serves the closest valid JSON and says what it changed,
so one such row never fails a whole listing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.labeling.domain.violations import CappedViolations
from shared import jsondoc

# One walk for every service: what no database stores alike, named by its JSON path.
from shared.jsondoc import content_problem as first_problem

REPLACEMENT = "\ufffd"
# How a read names the stored document in a problem's JSON path.
STORED_FIELD = "attributes_json"


@dataclass(frozen=True)
class Rendered:
    """A stored document as served: its JSON text, and what differs from what is stored
    ("" when nothing does)."""

    text: str
    problem: str = ""


def _strict(document: Any) -> str:
    """JSON text, or ValueError (UnicodeEncodeError included) where there is none."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text.encode("utf-8")  # an unpaired surrogate has no UTF-8 form
    return text


def encode(document: dict[str, Any], violations: CappedViolations, path: str) -> str:
    """The JSON text to store and serve for `document`; "" after adding a violation
    naming the first value that has none."""
    try:
        text = _strict(document)
    except ValueError:
        text = ""
    # NUL is always written escaped; a literal backslash followed by "u0000" in a
    # string only costs the walk that then finds nothing.
    if text and "\\u0000" not in text:
        return text
    problem = first_problem(document, path)
    if problem is not None:
        violations.add(*problem)
        return ""
    if not text:  # not reached: whatever _strict refuses, first_problem names
        violations.add(path, "cannot be written as JSON text")
    return text


def parse_stored(text: str | None) -> tuple[dict[str, Any], str]:
    """A stored document's text as (document, "") or, where Python cannot read it, ({},
    why): e.g. an integer of more digits than int() accepts, which PostgreSQL keeps."""
    if text is None:
        return {}, ""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).split(";")[0][:200]
        return {}, (f"{STORED_FIELD}: the stored document cannot be read ({reason}); served "
                    "as {}. Save or delete the label to repair it")
    if not isinstance(value, dict):
        return {}, f"{STORED_FIELD}: the stored document is not an object; served as {{}}"
    return value, ""


def render_stored(document: Any) -> Rendered:
    """A stored document as JSON text; never raises (see the module's docstring)."""
    try:
        return Rendered(_strict(document))
    except ValueError:
        pass
    try:
        where, what = first_problem(document, STORED_FIELD) or (STORED_FIELD, "not JSON")
        note = (f"{where}: {what}; served with U+FFFD for unpaired surrogates and null for "
                "non-finite numbers. Save or delete the label to repair it")
        return Rendered(_strict(jsondoc.repaired(document)), note)
    except (ValueError, RecursionError):
        # Deeper than any document the API ever accepted: nothing of it can be served.
        return Rendered("{}", f"{STORED_FIELD}: the stored document cannot be read; "
                              "save or delete the label to repair it")
