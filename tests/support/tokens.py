"""Bearer tokens for tests: one secret for every service a test starts, tokens per user.

Tests name the user they act as with the test-only `x-test-user` metadata (`as_user`,
default "local"); the test channels turn that into a token for that user and drop the
name, so each test reads as the user it impersonates while the services only ever see
real tokens.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import grpc

from shared.auth import AuthConfig, mint
from shared.auth_grpc import AUTHORIZATION_KEY

TEST_SECRET = "framewise-test-secret-0123456789abcdef"
TEST_AUTH = AuthConfig(secret=TEST_SECRET)
DEFAULT_USER = "local"
# Names the user a test acts as; read by the test channels only, never sent to a service.
TEST_USER_KEY = "x-test-user"


@cache
def token_for(user: str) -> str:
    return mint(user, secret=TEST_SECRET)


def bearer(user: str) -> tuple[str, str]:
    return AUTHORIZATION_KEY, f"Bearer {token_for(user)}"


def as_user(user: str) -> tuple[tuple[str, str], ...]:
    """Call metadata for acting as `user` on a test channel."""
    return ((TEST_USER_KEY, user),)


def _with_token(metadata: Any) -> grpc.aio.Metadata:
    items = list(metadata or ())
    user = next((str(v) for k, v in items if k == TEST_USER_KEY), DEFAULT_USER)
    items = [(k, v) for k, v in items if k != TEST_USER_KEY]
    if any(key == AUTHORIZATION_KEY for key, _ in items):
        return grpc.aio.Metadata(*items)
    return grpc.aio.Metadata(*items, bearer(user))


def _details(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(
        method=details.method, timeout=details.timeout, metadata=_with_token(details.metadata),
        credentials=details.credentials, wait_for_ready=details.wait_for_ready)


class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_details(details), request)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_details(details), request)


class _StreamStream(grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any,
                                      requests: Any) -> Any:
        return await continuation(_details(details), requests)


def test_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors adding a token for the user named in the call's metadata."""
    return [_UnaryUnary(), _UnaryStream(), _StreamStream()]


test_interceptors.__test__ = False  # type: ignore[attr-defined]
