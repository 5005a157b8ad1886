"""Calls to another Framewise service: a deadline on each, and their errors as errors of
our own caller's call."""

from __future__ import annotations

from typing import Any

import grpc

from shared.errors import (
    FailedPrecondition,
    FramewiseError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)

DEFAULT_DEADLINE_S = 5.0


def _bounded(details: grpc.aio.ClientCallDetails, deadline_s: float) -> grpc.aio.ClientCallDetails:
    if details.timeout is not None:
        return details
    return grpc.aio.ClientCallDetails(
        method=details.method, timeout=deadline_s, metadata=details.metadata,
        credentials=details.credentials, wait_for_ready=details.wait_for_ready)


class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_bounded(details, self.deadline_s), request)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_bounded(details, self.deadline_s), request)


def deadline_interceptors(deadline_s: float) -> list[grpc.aio.ClientInterceptor]:
    """A deadline for every call that names none: a call to a wedged peer then fails
    (UNAVAILABLE to our caller, see `translate`) instead of holding ours forever."""
    return [_UnaryUnary(deadline_s), _UnaryStream(deadline_s)]


def translate(error: grpc.aio.AioRpcError, service: str, resource: str,
              key: str) -> FramewiseError:
    """NOT_FOUND stays NOT_FOUND (of our resource); an unreachable or slow peer is
    UNAVAILABLE, so the caller retries; anything else is a failed precondition, with the
    peer's message, never UNKNOWN."""
    code = error.code()
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(resource, key)
    # The caller's own token was forwarded: what the peer says of it holds here too.
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return Unauthenticated(error.details() or "unauthenticated")
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDenied(error.details() or "permission denied")
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.CANCELLED):
        return Unavailable(f"the {service} service is unavailable ({code.name})", retried=True)
    return FailedPrecondition(f"the {service} service answered {code.name}: {error.details()}",
                              reason="DEPENDENCY_FAILED")
