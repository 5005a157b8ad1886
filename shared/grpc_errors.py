"""The one place where errors become gRPC status codes with google.rpc details."""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from shared.errors import FramewiseError, InvalidArgument, ResourceExhausted, Unavailable
from shared.text import printable

log = logging.getLogger("framewise.errors")

ERROR_DOMAIN = "framewise.dev"

# gRPC retry pushback (A6): a negative value tells the caller's channel not to retry.
RETRY_PUSHBACK_KEY = "grpc-retry-pushback-ms"
NO_RETRY = "-1"


def to_status(error: FramewiseError) -> grpc.Status:
    """Builds the rich status for a domain error: ErrorInfo always, BadRequest for bad input,
    RetryInfo for a limit that frees up by itself."""
    details: list[any_pb2.Any] = []
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
    )
    packed = any_pb2.Any()
    packed.Pack(info)
    details.append(packed)
    if isinstance(error, InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                # printable: a path may quote a key the client sent unencodable.
                error_details_pb2.BadRequest.FieldViolation(
                    field=printable(v.field), description=printable(v.description)
                )
                for v in error.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad_request)
        details.append(packed)
    if isinstance(error, ResourceExhausted) and error.retry_delay_s is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromNanoseconds(round(error.retry_delay_s * 1e9))
        packed = any_pb2.Any()
        packed.Pack(retry)
        details.append(packed)
    status = status_pb2.Status(
        code=getattr(code_pb2, error.code), message=printable(error.message), details=details
    )
    converted = rpc_status.to_status(status)
    if isinstance(error, Unavailable) and error.retried:
        # A peer of ours is down (our channel has retried it already) or too slow (we
        # waited up to our deadline). A caller retrying us at once would multiply those
        # attempts at every hop (4 x 4 x 4 through a chain of services), answer seconds
        # later, and add load to an overloaded peer; its own failures to reach us are
        # still retried.
        return converted._replace(
            trailing_metadata=(*converted.trailing_metadata, (RETRY_PUSHBACK_KEY, NO_RETRY)))
    return converted


def internal_status(method: str) -> grpc.Status:
    """An unexpected failure: INTERNAL with no Python detail leaking to the client."""
    status = status_pb2.Status(
        code=code_pb2.INTERNAL, message=f"internal error in {method}; see the server log"
    )
    return rpc_status.to_status(status)


async def _abort(context: grpc.aio.ServicerContext, exc: BaseException, method: str) -> None:
    if isinstance(exc, FramewiseError):
        await context.abort_with_status(to_status(exc))
    log.exception("unexpected error in %s", method, exc_info=exc)
    await context.abort_with_status(internal_status(method))


def _is_abort(exc: BaseException) -> bool:
    # context.abort raises AbortError; let it (and cancellation) through untouched.
    return isinstance(exc, grpc.aio.AbortError)


Deserializer = Callable[[bytes], Any] | None


def _parse(deserialize: Deserializer, raw: Any) -> Any:
    """The request message; bytes that are not one are INVALID_ARGUMENT (gRPC itself would
    answer INTERNAL)."""
    if deserialize is None:
        return raw
    try:
        return deserialize(raw)
    except Exception as exc:  # DecodeError, or a deserializer's own error
        raise InvalidArgument.of("request", f"not a valid request message: {exc}") from exc


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str,
                deserialize: Deserializer = None) -> Callable[..., Any]:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await behavior(_parse(deserialize, request), context)
        except Exception as exc:
            if _is_abort(exc):
                raise
            await _abort(context, exc, method)

    return wrapper


def _wrap_stream(behavior: Callable[..., AsyncGenerator[Any, None]], method: str,
                 deserialize: Deserializer = None) -> Callable[..., Any]:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        try:
            # aclosing: a cancelled stream closes the handler's generator at once.
            async with contextlib.aclosing(behavior(_parse(deserialize, request),
                                                    context)) as items:
                async for item in items:
                    yield item
        except Exception as exc:
            if _is_abort(exc):
                raise
            await _abort(context, exc, method)

    return wrapper


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    """Turns every exception a handler raises into a canonical status, never UNKNOWN."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        # The request is parsed inside the wrapper, so a malformed one is mapped too.
        deserialize = handler.request_deserializer
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method, deserialize),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            behavior = handler.unary_stream
            # Streaming handlers either yield, or write with context.write (health Watch).
            wrap = _wrap_stream if inspect.isasyncgenfunction(behavior) else _wrap_unary
            return grpc.unary_stream_rpc_method_handler(
                wrap(behavior, method, deserialize),
                response_serializer=handler.response_serializer,
            )
        return handler
