"""What text may hold: what both databases can store and a strict reader can read.

PostgreSQL refuses NUL in text and in JSONB, and NaN or Infinity in JSONB; no UTF-8
encoder (protobuf's, PostgreSQL's, a strict JSON reader's) takes an unpaired surrogate.
SQLite stores all of them, so without these checks the two databases would behave apart
and a stored value could make every later read of it fail. Names shown to people also
refuse control and bidi-override characters (which hide or reorder what is displayed)
and blank values.
"""

from __future__ import annotations

import re
import unicodedata

# One regex pass finds the characters no database stores alike: NUL and lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): "Trojan Source".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problem(text: str) -> str | None:
    """None for text either database stores as it is, else why not."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "must not contain NUL characters (U+0000)"
    return f"must not contain unpaired surrogates (U+{ord(char):04X} at {found.start()})"


def name_problem(name: str) -> str | None:
    """None for a name people can be shown as it is, else why not; "" is left to the
    caller (required or not depends on the field)."""
    problem = text_problem(name)
    if problem is not None:
        return problem
    if name and not name.strip():
        return "must not be blank"
    for i, char in enumerate(name):
        if char in _BIDI_CONTROLS:
            return f"must not contain bidi control characters (U+{ord(char):04X} at {i})"
        if unicodedata.category(char) == "Cc":
            return f"must not contain control characters (U+{ord(char):04X} at {i})"
    return None


def repaired(text: str) -> str:
    """`text` with every character no database stores alike replaced by U+FFFD: how a
    value stored before these checks existed is shown, rather than failing the read."""
    return _UNSTORABLE.sub("\ufffd", text)


def printable(text: str) -> str:
    """`text` as Unicode any client can receive: an error quoting a bad key or value (an
    unpaired surrogate, a NUL) names it by its escape instead of failing the reply."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\u0000")
