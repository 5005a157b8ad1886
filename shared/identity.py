"""Who is calling: the subject of the verified bearer token of the current call.

The auth interceptor (shared/auth_grpc.py) verifies the token before any handler runs
and makes the caller and the token current for the call (context variables, so tasks
the handler starts, such as a release build, keep them). Service-to-service channels
forward the token, so a downstream service applies its own rules to the same caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_caller: ContextVar[str | None] = ContextVar("framewise_caller", default=None)
_token: ContextVar[str | None] = ContextVar("framewise_token", default=None)


@contextmanager
def authenticated(caller: str, authorization: str) -> Iterator[None]:
    """Makes `caller` (and its `authorization` metadata value) current inside the block."""
    caller_token, auth_token = _caller.set(caller), _token.set(authorization)
    try:
        yield
    finally:
        try:
            _caller.reset(caller_token)
            _token.reset(auth_token)
        except ValueError:
            pass  # a stream finished from another context: its task ends anyway


def current_caller() -> str:
    caller = _caller.get()
    if caller is None:
        raise RuntimeError("no authenticated caller: the auth interceptor did not run")
    return caller


def current_authorization() -> str | None:
    """The `authorization` metadata of the current call, to forward to other services."""
    return _token.get()

