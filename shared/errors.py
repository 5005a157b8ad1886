"""Domain errors: raised by domain and storage code, mapped to gRPC status in one place.

Nothing here imports gRPC; `shared.grpc_errors` turns these into canonical codes with
google.rpc details.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its path in the request (`dataset.task_attributes.categories[2].id`)."""

    field: str
    description: str


class FramewiseError(Exception):
    """Base of every error a client may be told about."""

    code: str = "INTERNAL"
    reason: str = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.metadata = dict(metadata or {})


class InvalidArgument(FramewiseError):
    code = "INVALID_ARGUMENT"
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation] | FieldViolation, message: str = "",
                 **kwargs: object) -> None:
        self.violations = [violations] if isinstance(violations, FieldViolation) else violations
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(message or summary, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def of(cls, field_path: str, description: str) -> InvalidArgument:
        return cls(FieldViolation(field_path, description))


class NotFound(FramewiseError):
    code = "NOT_FOUND"
    reason = "NOT_FOUND"

    def __init__(self, resource: str, key: str, **kwargs: object) -> None:
        self.resource = resource
        self.key = key
        super().__init__(f"{resource} {key!r} not found",
                         metadata={"resource": resource, "key": key})


class AlreadyExists(FramewiseError):
    code = "ALREADY_EXISTS"
    reason = "ALREADY_EXISTS"


class Aborted(FramewiseError):
    """A stale etag or a concurrent change: re-read and retry."""

    code = "ABORTED"
    reason = "STALE_ETAG"


class FailedPrecondition(FramewiseError):
    code = "FAILED_PRECONDITION"
    reason = "FAILED_PRECONDITION"


class PermissionDenied(FramewiseError):
    code = "PERMISSION_DENIED"
    reason = "PERMISSION_DENIED"


class Unauthenticated(FramewiseError):
    code = "UNAUTHENTICATED"
    reason = "UNAUTHENTICATED"


class ResourceExhausted(FramewiseError):
    code = "RESOURCE_EXHAUSTED"
    reason = "LIMIT_EXCEEDED"

    def __init__(self, message: str, *, retry_delay_s: float | None = None,
                 **kwargs: object) -> None:
        # retry_delay_s: the limit frees up by itself (a stream ends): the client is told
        # when to try again (google.rpc.RetryInfo), rather than to give up.
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_delay_s = retry_delay_s


class Unavailable(FramewiseError):
    code = "UNAVAILABLE"
    reason = "DEPENDENCY_UNAVAILABLE"

    def __init__(self, message: str, *, retried: bool = False, **kwargs: object) -> None:
        # retried: a peer failed us after our channel retried it (UNAVAILABLE) or waited
        # for it up to our deadline; a caller retrying at once would only repeat that.
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retried = retried


@dataclass
class Violations:
    """Collects field violations so a request reports every bad field at once."""

    items: list[FieldViolation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.items.append(FieldViolation(field_path, description))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidArgument(list(self.items))
