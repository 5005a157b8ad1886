"""Assertions on gRPC errors and their google.rpc details."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The BadRequest field violations of an error, field -> description."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found: dict[str, str] = {}
    if status is None:
        return found
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.update({v.field: v.description for v in bad_request.field_violations})
    return found


def error_reason(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


async def expect_error(call: Awaitable[Any], code: grpc.StatusCode,
                       field: str | None = None) -> grpc.aio.AioRpcError:
    """Awaits `call`, asserts it fails with `code` (and a violation on `field`)."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = caught.value
    assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()}"
    if field is not None:
        violations = field_violations(error)
        assert field in violations, f"no violation on {field!r}: {violations}"
    return error


async def expect_limit(call: Awaitable[Any], field: str, limit: int) -> grpc.aio.AioRpcError:
    """Awaits `call`, asserts INVALID_ARGUMENT with a violation on `field` naming `limit`."""
    error = await expect_error(call, grpc.StatusCode.INVALID_ARGUMENT, field)
    description = field_violations(error)[field]
    assert f"at most {limit}" in description, f"{field}: {description!r} names no limit {limit}"
    return error
