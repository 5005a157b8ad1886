"""Prometheus metrics of every call a service serves, an access log line per call, and the
`/metrics` endpoint on the service's metrics port.

Metric names follow the go-grpc-prometheus conventions, so existing gRPC dashboards and
alerts read them as they are:

- `grpc_server_started_total{grpc_service, grpc_method, grpc_type}`
- `grpc_server_handled_total{grpc_service, grpc_method, grpc_type, grpc_code}`
- `grpc_server_handling_seconds{grpc_service, grpc_method, grpc_type}` (histogram)
- `grpc_server_msg_sent_total{grpc_service, grpc_method, grpc_type}` (server streams)

The endpoint is a small asyncio HTTP server on the service's event loop: no thread, and it
closes at once when the service stops.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType
from typing import Any

import grpc
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from shared.call_scope import OnMessage, ScopeInterceptor
from shared.tracing import final_code

access_log = logging.getLogger("framewise.access")
log = logging.getLogger("framewise.metrics")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0, 60.0, 300.0)

STARTED = Counter("grpc_server_started_total", "RPCs started on the server.",
                  ["grpc_service", "grpc_method", "grpc_type"])
HANDLED = Counter("grpc_server_handled_total",
                  "RPCs completed on the server, whatever their status code.",
                  ["grpc_service", "grpc_method", "grpc_type", "grpc_code"])
LATENCY = Histogram("grpc_server_handling_seconds",
                    "Time from the start of an RPC to its status, in seconds.",
                    ["grpc_service", "grpc_method", "grpc_type"], buckets=LATENCY_BUCKETS)
SENT = Counter("grpc_server_msg_sent_total", "Messages a server stream sent.",
               ["grpc_service", "grpc_method", "grpc_type"])

# Health probes and reflection are counted, but their access lines only at DEBUG.
QUIET_PREFIXES = ("/grpc.health.", "/grpc.reflection.")
# Failures of the server itself (the error interceptor logged the traceback already).
SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN,
                           grpc.StatusCode.DATA_LOSS, grpc.StatusCode.UNIMPLEMENTED})


class _Call:
    def __init__(self, method: str, kind: str, context: grpc.aio.ServicerContext) -> None:
        service, _, name = method.lstrip("/").partition("/")
        self.labels = (service, name, kind)
        self.method = method
        self.context = context
        # Read while the call is alive: peer() of a call already torn down (a stream
        # cancelled as the server stops) crashes the process.
        self.peer = context.peer()
        self.sent = 0
        STARTED.labels(*self.labels).inc()
        self.start = time.perf_counter()

    def __enter__(self) -> OnMessage:
        return self._count_message

    def _count_message(self) -> None:
        self.sent += 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        elapsed = time.perf_counter() - self.start
        code = final_code(self.context, error)
        HANDLED.labels(*self.labels, code.name).inc()
        LATENCY.labels(*self.labels).observe(elapsed)
        if self.sent:
            SENT.labels(*self.labels).inc(self.sent)
        if code == grpc.StatusCode.OK or self.method.startswith(QUIET_PREFIXES):
            level = logging.DEBUG
        elif code in SERVER_FAULTS:
            level = logging.WARNING
        else:
            level = logging.INFO
        if access_log.isEnabledFor(level):
            duration_ms = round(elapsed * 1000, 3)
            extra: dict[str, Any] = {"method": self.method, "code": code.name,
                                     "duration_ms": duration_ms, "peer": self.peer}
            if self.sent:
                extra["messages"] = self.sent
            access_log.log(level, "%s %s %.1f ms", self.method, code.name, duration_ms,
                           extra=extra)


class MetricsInterceptor(ScopeInterceptor):
    """Counts and times every call (by method and final status code) and logs it; an
    unknown method is no label value we want to keep (the base skips it)."""

    def scope(self, method: str, kind: str, context: grpc.aio.ServicerContext) -> _Call:
        return _Call(method, kind, context)


class MetricsEndpoint:
    """`GET /metrics` in the Prometheus text format, on an asyncio server."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._handle, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            path = target.split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                status, body, kind = "405 Method Not Allowed", b"GET only\n", "text/plain"
            elif path in ("/metrics", "/metrics/"):
                body = generate_latest(self.registry)
                status, kind = "200 OK", CONTENT_TYPE_LATEST
            else:
                status, body, kind = "404 Not Found", b"see /metrics\n", "text/plain"
            headers = (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                       f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write(headers.encode("latin-1") + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, ValueError):
            pass
        finally:
            writer.close()
