"""Page sizes and opaque page tokens, the same for every List method."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.errors import InvalidArgument
from shared.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LENGTH

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "decode_token", "encode_token", "page_size"]


def page_size(requested: int, field: str = "page_size", *, default: int = DEFAULT_PAGE_SIZE,
              maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0:
        raise InvalidArgument.of(field, "must not be negative")
    if requested > maximum:
        raise InvalidArgument.of(field, f"at most {maximum}, got {requested}")
    return requested or default


def encode_token(state: dict[str, Any]) -> str:
    # Not ASCII-escaped: a token carrying its listing's filters stays short.
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, field: str = "page_token") -> dict[str, Any]:
    """Decodes a token from `encode_token`; anything else is INVALID_ARGUMENT."""
    if not token:
        return {}
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise InvalidArgument.of(field, f"at most {MAX_PAGE_TOKEN_LENGTH} characters, got "
                                        f"{len(token)}")
    try:
        padded = token + "=" * (-len(token) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument.of(field, "not a page token from a previous response") from exc
    if not isinstance(state, dict):
        raise InvalidArgument.of(field, "not a page token from a previous response")
    return state
