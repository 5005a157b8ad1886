"""gRPC errors as Python exceptions named by what went wrong.

Every exception carries the server's message, the canonical status code, the
`google.rpc.ErrorInfo` reason and metadata, and for bad input the
`google.rpc.BadRequest` field violations (`error.field_violations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    """One bad field, named by its path in the request (`dataset.name`)."""

    field: str
    description: str


class FramewiseError(Exception):
    """Base of every error the SDK raises for a failed call."""

    code: str = "UNKNOWN"

    def __init__(self, message: str, *, code: str | None = None, reason: str = "",
                 metadata: dict[str, str] | None = None,
                 field_violations: list[FieldViolation] | None = None,
                 details: list[Message] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.field_violations = list(field_violations or [])
        self.details = list(details or [])

    def __str__(self) -> str:
        if self.field_violations:
            return "; ".join(f"{v.field}: {v.description}" for v in self.field_violations)
        return self.message

    @property
    def fields(self) -> list[str]:
        """The paths of the bad fields, in the server's order."""
        return [v.field for v in self.field_violations]


class InvalidArgument(FramewiseError):
    """Bad input; `field_violations` names every bad field."""

    code = "INVALID_ARGUMENT"


class NotFound(FramewiseError):
    code = "NOT_FOUND"


class AlreadyExists(FramewiseError):
    code = "ALREADY_EXISTS"


class Conflict(FramewiseError):
    """ABORTED: a stale etag or a concurrent change. Re-read and retry."""

    code = "ABORTED"


class FailedPrecondition(FramewiseError):
    code = "FAILED_PRECONDITION"


class PermissionDenied(FramewiseError):
    code = "PERMISSION_DENIED"


class Unauthenticated(FramewiseError):
    code = "UNAUTHENTICATED"


class Unavailable(FramewiseError):
    """The service could not be reached (after the channel's retries)."""

    code = "UNAVAILABLE"


class DeadlineExceeded(FramewiseError):
    code = "DEADLINE_EXCEEDED"


class ResourceExhausted(FramewiseError):
    code = "RESOURCE_EXHAUSTED"


class Cancelled(FramewiseError):
    code = "CANCELLED"


class Internal(FramewiseError):
    """INTERNAL, UNKNOWN, or any other code: a server fault, not the caller's."""

    code = "INTERNAL"


class ReleaseFailed(FramewiseError):
    """A release's build ended FAILED; `release` holds it with its failure reason."""

    code = "FAILED_PRECONDITION"

    def __init__(self, release: Any) -> None:
        super().__init__(f"release {release.name!r} failed: {release.failure_reason}",
                         reason="RELEASE_FAILED")
        self.release = release


_BY_CODE: dict[grpc.StatusCode, type[FramewiseError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.ABORTED: Conflict,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.CANCELLED: Cancelled,
}


def _details(error: grpc.RpcError) -> list[Any]:
    try:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
    except (ValueError, AttributeError, TypeError):
        return []
    return list(status.details) if status is not None else []


def from_rpc_error(error: grpc.RpcError) -> FramewiseError:
    """The exception for a failed call, with the google.rpc details it carried."""
    code_of = getattr(error, "code", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    details_of = getattr(error, "details", None)
    message = (details_of() if callable(details_of) else "") or str(code)
    reason, metadata = "", {}
    violations: list[FieldViolation] = []
    unpacked: list[Message] = []
    for packed in _details(error):
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
            unpacked.append(info)
        elif packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            packed.Unpack(bad)
            violations.extend(FieldViolation(v.field, v.description)
                              for v in bad.field_violations)
            unpacked.append(bad)
    cls = _BY_CODE.get(code, Internal)
    name = code.name if isinstance(code, grpc.StatusCode) else str(code)
    return cls(message, code=name, reason=reason, metadata=metadata,
               field_violations=violations, details=unpacked)


def invalid(field: str, description: str) -> InvalidArgument:
    """A client-side InvalidArgument naming one field, shaped like the server's."""
    return InvalidArgument(f"{field}: {description}", reason="INVALID_ARGUMENT",
                           field_violations=[FieldViolation(field, description)])
