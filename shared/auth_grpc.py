"""Bearer-token authentication on every call, and the token passed on to other services."""

from __future__ import annotations

import collections
from contextlib import AbstractContextManager
from typing import Any

import grpc

from shared.auth import AuthConfig, VerifiedTokens, mint
from shared.call_scope import TOOLING_PREFIXES, ScopeInterceptor
from shared.errors import FailedPrecondition
from shared.identity import authenticated, current_authorization, current_caller

AUTHORIZATION_KEY = "authorization"
# Probes and tooling stay open: health checks and server reflection need no token.
OPEN_PREFIXES = TOOLING_PREFIXES
# Tokens a service signs for a background job: renewed per call, so kept short.
DELEGATED_TOKEN_TTL_S = 3600


def _authorization(context: grpc.aio.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == AUTHORIZATION_KEY:
            return value.decode(errors="replace") if isinstance(value, bytes) else value
    return None


class AuthInterceptor(ScopeInterceptor):
    """Verifies the bearer token of every call but health and reflection; a missing or
    bad token is UNAUTHENTICATED (raised inside the handler, so the error mapping turns it
    into a status with details). A kind it cannot wrap would run unauthenticated: such a
    method is refused instead."""

    skipped = OPEN_PREFIXES
    required = True

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self.tokens = VerifiedTokens(config)

    def scope(self, method: str, kind: str,
              context: grpc.aio.ServicerContext) -> AbstractContextManager[None]:
        authorization = _authorization(context)
        caller = self.tokens.caller(authorization)
        return authenticated(caller, authorization or "")



def _with(details: grpc.aio.ClientCallDetails,
          authorization: str | None) -> grpc.aio.ClientCallDetails:
    """`details` with `authorization` in its metadata, unless it already has one."""
    items = list(details.metadata or ())
    if authorization and all(key != AUTHORIZATION_KEY for key, _ in items):
        items.append((AUTHORIZATION_KEY, authorization))
    return grpc.aio.ClientCallDetails(
        method=details.method, timeout=details.timeout, metadata=grpc.aio.Metadata(*items),
        credentials=details.credentials, wait_for_ready=details.wait_for_ready)


class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds a token: a fixed one, or (None) the token of the call being served."""

    def __init__(self, authorization: str | None = None) -> None:
        self.authorization = authorization

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with(details, self.authorization or current_authorization()),
                                  request)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, authorization: str | None = None) -> None:
        self.authorization = authorization

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with(details, self.authorization or current_authorization()),
                                  request)


def forwarding_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors that pass the caller's token on (service-to-service channels)."""
    return [_UnaryUnary(), _UnaryStream()]


def bearer_interceptors(token: str) -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors sending one fixed bearer token (scripts, benchmarks)."""
    return [_UnaryUnary(f"Bearer {token}"), _UnaryStream(f"Bearer {token}")]


class _SyncDetails(
    collections.namedtuple("_SyncDetails", ("method", "timeout", "metadata", "credentials",
                                            "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


class _SyncBearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, token: str) -> None:
        self.metadata = (AUTHORIZATION_KEY, f"Bearer {token}")

    def _details(self, details: Any) -> Any:
        metadata = list(details.metadata or ())
        if all(key != AUTHORIZATION_KEY for key, _ in metadata):
            metadata.append(self.metadata)
        return _SyncDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None),
                            getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


def bearer_channel(channel: grpc.Channel, token: str) -> grpc.Channel:
    """A blocking channel whose calls carry `token`."""
    return grpc.intercept_channel(channel, _SyncBearer(token))


def acting_as(user: str, config: AuthConfig | None) -> tuple[tuple[str, str], ...]:
    """Metadata for a call made for `user` (a background job it started, such as a
    release build resumed after a restart): the current call's token when it is theirs,
    else a short-lived token this service signs with the shared HS256 secret. With only
    an RS256 public key a service cannot act for anyone outside their own call."""
    authorization = current_authorization()
    if authorization and _caller_is(user):
        return ((AUTHORIZATION_KEY, authorization),)
    if config is None or not config.secret:
        raise FailedPrecondition(
            f"cannot act for {user!r} outside their own call: tokens are verified with a "
            "public key only", reason="NO_DELEGATION")
    token = mint(user, secret=config.secret, issuer=config.issuer, audience=config.audience,
                 ttl_s=DELEGATED_TOKEN_TTL_S)
    return ((AUTHORIZATION_KEY, f"Bearer {token}"),)


def _caller_is(user: str) -> bool:
    try:
        return current_caller() == user
    except RuntimeError:
        return False
