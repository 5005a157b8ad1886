"""Code run around every call a server handles, written once for every interceptor.

Tracing, metrics and authentication each give a *scope*: a context manager per call,
entered before the handler runs and left with how the call ended (an exception, a
cancellation, a stream closed early). What it yields is called once per message a
stream sends, or is None.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import grpc

OnMessage = Callable[[], None] | None
# (method, kind: "unary" | "server_stream", context) -> the scope of one call.
Scope = Callable[[str, str, grpc.aio.ServicerContext], AbstractContextManager[OnMessage]]


def _unary(behavior: Callable[..., Awaitable[Any]], method: str,
           scope: Scope) -> Callable[..., Any]:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
        with scope(method, "unary", context):
            return await behavior(request, context)

    return wrapper


def _stream(behavior: Callable[..., AsyncGenerator[Any, None]], method: str,
            scope: Scope) -> Callable[..., Any]:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        with scope(method, "server_stream", context) as on_message:
            # aclosing: a stream cancelled here closes the handler's generator (and what it
            # holds) at once, not whenever the garbage collector finds it.
            async with contextlib.aclosing(behavior(request, context)) as items:
                async for item in items:
                    if on_message is not None:
                        on_message()
                    yield item

    return wrapper


def scoped_handler(handler: grpc.RpcMethodHandler, method: str,
                   scope: Scope) -> grpc.RpcMethodHandler:
    """`handler` with its unary-unary or async-generator unary-stream behaviour run inside
    `scope`; other kinds (client streams, streams written with context.write) are returned
    as they are."""
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            _unary(handler.unary_unary, method, scope),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream and inspect.isasyncgenfunction(handler.unary_stream):
        return grpc.unary_stream_rpc_method_handler(
            _stream(handler.unary_stream, method, scope),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler


# Health checks (probes every few seconds) and reflection: not authenticated, traced or
# limited; metrics still count them.
TOOLING_PREFIXES = ("/grpc.health.", "/grpc.reflection.")


class ScopeInterceptor(grpc.aio.ServerInterceptor):
    """The one interceptor shape: runs `scope` around the handler of every method it
    applies to. Subclasses give `scope`, and may narrow `applies` (by method or handler
    kind), skip `skipped` method prefixes, or be `required` (a handler kind that cannot be
    wrapped is refused rather than run without the scope)."""

    skipped: tuple[str, ...] = ()
    required = False

    def scope(self, method: str, kind: str, context: grpc.aio.ServicerContext) -> Any:
        raise NotImplementedError

    def applies(self, handler: grpc.RpcMethodHandler) -> bool:
        return True

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(self.skipped) or not self.applies(handler):
            return handler
        wrapped = scoped_handler(handler, method, self.scope)
        if self.required and wrapped is handler:
            raise RuntimeError(f"cannot wrap {method}: unsupported handler kind")
        return wrapped
