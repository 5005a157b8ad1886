"""Page sizes and opaque page tokens, the same for every List method.

A token is its listing's position and filters as JSON, signed with HMAC-SHA256 under a
key every replica of a service shares (`configure_key`, from FRAMEWISE_PAGE_TOKEN_KEY or
the deployment's token-verification key): a token the server did not make, or one made
for another listing, is INVALID_ARGUMENT `page_token`, never a failure deeper down.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from shared.errors import InvalidArgument
from shared.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LENGTH

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "configure_key", "decode_token",
           "encode_token", "page_size"]

_MAC_BYTES = 16
# A process that was never configured (a tool, a unit test) signs with a key of its own.
_key: bytes = os.urandom(32)
_NOT_OURS = "not a page token from a previous response of this listing"


def configure_key(material: str) -> None:
    """Signs and verifies tokens with a key derived from `material` (a secret every
    replica of the service has), so a token from one replica pages on another."""
    global _key
    _key = hashlib.sha256(b"framewise page tokens\0" + material.encode()).digest()


def page_size(requested: int, field: str = "page_size", *, default: int = DEFAULT_PAGE_SIZE,
              maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0:
        raise InvalidArgument.of(field, "must not be negative")
    if requested > maximum:
        raise InvalidArgument.of(field, f"at most {maximum}, got {requested}")
    return requested or default


def _mac(listing: str, payload: bytes) -> bytes:
    return hmac.new(_key, listing.encode() + b"\0" + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def encode_token(listing: str, state: dict[str, Any]) -> str:
    """A token for the next page of `listing` (the method's name), holding `state`."""
    # Not ASCII-escaped: a token carrying its listing's filters stays short.
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return f"{_b64(raw)}.{_b64(_mac(listing, raw))}"


def decode_token(token: str, listing: str, fields: Mapping[str, type | tuple[type, ...]],
                 field: str = "page_token") -> dict[str, Any]:
    """The state of a token `encode_token(listing, ...)` made, its keys and their JSON
    types as `fields` says; {} for no token; anything else is INVALID_ARGUMENT."""
    if not token:
        return {}
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise InvalidArgument.of(field, f"at most {MAX_PAGE_TOKEN_LENGTH} characters, got "
                                        f"{len(token)}")
    payload, _, mac = token.partition(".")
    try:
        raw, signature = _unb64(payload), _unb64(mac)
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidArgument.of(field, _NOT_OURS) from exc
    if not hmac.compare_digest(signature, _mac(listing, raw)):
        raise InvalidArgument.of(field, _NOT_OURS)
    try:
        state = json.loads(raw)
    except ValueError as exc:
        raise InvalidArgument.of(field, _NOT_OURS) from exc
    # Signed by us, so this holds unless the code that made it changed shape.
    if not isinstance(state, dict) or state.keys() != fields.keys() or not all(
            isinstance(state[key], kind) and not isinstance(state[key], bool)
            for key, kind in fields.items()):
        raise InvalidArgument.of(field, _NOT_OURS)
    return state
