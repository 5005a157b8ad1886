"""Trace context across the suite (OpenTelemetry, W3C `traceparent`) and a request id.

- Server side, `TracingServerInterceptor` reads `traceparent` (and `x-request-id`) from
  the incoming metadata, starts a SERVER span for the call and makes it current.
- Client side, `client_interceptors()` (on the channels of shared/channels.py) write the
  current context and request id into the metadata of every service-to-service call, so
  a labeling or dataset call made while serving an interpolation stream carries the
  interpolation call's trace id.
- `setup()` installs the SDK's tracer provider once per process; spans are exported
  over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and not at all with
  `OTEL_SDK_DISABLED=true`: the trace id is still passed on).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import random
import threading
import uuid
from types import TracebackType
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.call_scope import TOOLING_PREFIXES, ScopeInterceptor

log = logging.getLogger("framewise.tracing")

REQUEST_ID_KEY = "x-request-id"
MAX_REQUEST_ID = 128

# Health checks (probes every few seconds) and reflection are not traced.
UNTRACED_PREFIXES = TOOLING_PREFIXES

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "framewise_request_id", default=None)
_setup_lock = threading.Lock()
_configured = False

tracer = trace.get_tracer("framewise")


def setup(service: str) -> None:
    """Installs the SDK tracer provider (once per process; later calls do nothing)."""
    global _configured
    with _setup_lock:
        if _configured:
            return
        _configured = True
        if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return
        if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            return  # one was installed already (e.g. by `opentelemetry-instrument`)
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        resource = Resource.create({"service.name": f"framewise-{service}"})
        provider = TracerProvider(resource=resource, id_generator=PrivateRandomIds())
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
            try:
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                    OTLPSpanExporter,
                )
                from opentelemetry.sdk.trace.export import BatchSpanProcessor

                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            except Exception:
                log.exception("cannot export spans over OTLP; tracing without export")
        trace.set_tracer_provider(provider)


class PrivateRandomIds(IdGenerator):
    """Trace and span ids from a generator of their own, seeded from the OS.

    The SDK's default draws from the module-level `random`, which anyone in the process
    may seed (a library, a test framework): two pods seeded alike would then make the
    same trace ids, and every id drawn moves everyone else's random sequence.
    """

    def __init__(self) -> None:
        self._random = random.Random(os.urandom(32))

    def generate_span_id(self) -> int:
        span_id = 0
        while span_id == trace.INVALID_SPAN_ID:
            span_id = self._random.getrandbits(64)
        return span_id

    def generate_trace_id(self) -> int:
        trace_id = 0
        while trace_id == trace.INVALID_TRACE_ID:
            trace_id = self._random.getrandbits(128)
        return trace_id

    def is_trace_id_random(self) -> bool:
        return True


def request_id() -> str | None:
    """The request id of the call being served (incoming `x-request-id`, else generated)."""
    return _request_id.get()


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span in hex, or (None, None)."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


class LogContextFilter(logging.Filter):
    """Adds `trace_id`, `span_id` and `request_id` to log records made while serving."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "trace_id"):
            trace_id, span_id = current_ids()
            if trace_id is not None:
                record.trace_id = trace_id
                record.span_id = span_id
        if not hasattr(record, "request_id") and (rid := _request_id.get()) is not None:
            record.request_id = rid
        return True


def final_code(context: grpc.aio.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status a call ended with: what the handler set or aborted with, else OK."""
    # GeneratorExit: gRPC closed a stream's generator because its client went away.
    if isinstance(error, asyncio.CancelledError | GeneratorExit) or (
            error is not None and context.cancelled()):
        return grpc.StatusCode.CANCELLED
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):
        for candidate in grpc.StatusCode:
            if candidate.value[0] == code:
                return candidate
    if error is not None and not isinstance(error, grpc.aio.AbortError):
        return grpc.StatusCode.UNKNOWN
    return grpc.StatusCode.OK


# --- server side -------------------------------------------------------------------------

def _text(value: str | bytes) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


class _Call:
    """Starts the span of one incoming call and makes it (and the request id) current."""

    def __init__(self, method: str, kind: str, context: grpc.aio.ServicerContext) -> None:
        carrier: dict[str, str] = {}
        for key, value in context.invocation_metadata() or ():
            if not key.endswith("-bin"):
                carrier[key] = _text(value)
        parent = propagate.extract(carrier)
        service, _, name = method.lstrip("/").partition("/")
        self.span = tracer.start_span(
            method.lstrip("/"), context=parent, kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name})
        self.context = context
        incoming = carrier.get(REQUEST_ID_KEY, "").strip()[:MAX_REQUEST_ID]
        if not incoming:
            span_context = self.span.get_span_context()
            incoming = (format(span_context.trace_id, "032x") if span_context.is_valid
                        else uuid.uuid4().hex)
        self.request_id = incoming
        self.span.set_attribute("framewise.request_id", incoming)
        self._tokens: tuple[object, contextvars.Token[str | None]] | None = None

    def __enter__(self) -> None:
        token = otel_context.attach(trace.set_span_in_context(self.span))
        self._tokens = (token, _request_id.set(self.request_id))

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        code = final_code(self.context, error)
        self.span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code != grpc.StatusCode.OK:
            self.span.set_status(Status(StatusCode.ERROR, code.name))
        self.span.end()
        if self._tokens is not None:
            token, rid_token = self._tokens
            self._tokens = None
            try:
                _request_id.reset(rid_token)
                otel_context.detach(token)  # type: ignore[arg-type]
            except ValueError:
                pass  # a stream closed from another context: its task ends anyway


class TracingServerInterceptor(ScopeInterceptor):
    """A SERVER span per call, child of the caller's `traceparent` when there is one."""

    skipped = UNTRACED_PREFIXES

    def scope(self, method: str, kind: str, context: grpc.aio.ServicerContext) -> _Call:
        return _Call(method, kind, context)


# --- client side -------------------------------------------------------------------------

def outgoing_metadata(metadata: Any) -> list[tuple[str, str | bytes]]:
    """`metadata` plus `traceparent`/`tracestate` of the current context and the request id."""
    items: list[tuple[str, str | bytes]] = list(metadata or ())
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    present = {key for key, _ in items}
    items.extend((k, v) for k, v in carrier.items() if k not in present)
    rid = _request_id.get()
    if rid is not None and REQUEST_ID_KEY not in present:
        items.append((REQUEST_ID_KEY, rid))
    return items


def _details(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(
        method=details.method, timeout=details.timeout,
        metadata=grpc.aio.Metadata(*outgoing_metadata(details.metadata)),
        credentials=details.credentials, wait_for_ready=details.wait_for_ready)


class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(_details(client_call_details), request)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(_details(client_call_details), request)


class _StreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, client_call_details,  # type: ignore[no-untyped-def]
                                     request_iterator):
        return await continuation(_details(client_call_details), request_iterator)


class _StreamStream(grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, client_call_details,  # type: ignore[no-untyped-def]
                                      request_iterator):
        return await continuation(_details(client_call_details), request_iterator)


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Interceptors for grpc.aio channels that pass the trace context and request id on."""
    return [_UnaryUnary(), _UnaryStream(), _StreamUnary(), _StreamStream()]
