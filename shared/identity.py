"""Who is calling. For now the identity travels in request metadata; the security issue
replaces this with verified tokens behind the same function."""

from __future__ import annotations

import os
from collections.abc import Iterable

IDENTITY_METADATA_KEY = "x-framewise-user"


def default_user() -> str:
    return os.environ.get("FRAMEWISE_DEFAULT_USER", "").strip() or "local"


def caller_from_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    """The caller's identity from invocation metadata, or the configured default user."""
    for key, value in metadata or ():
        if key == IDENTITY_METADATA_KEY:
            text = value.decode() if isinstance(value, bytes) else value
            if text.strip():
                return text.strip()
    return default_user()
