"""Errors of calls to another Framewise service, as errors of our own caller's call."""

from __future__ import annotations

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
        return Unavailable(f"the {service} service is unavailable ({code.name})")
    return FailedPrecondition(f"the {service} service answered {code.name}: {error.details()}",
                              reason="DEPENDENCY_FAILED")
