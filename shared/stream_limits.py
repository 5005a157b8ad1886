"""How many server streams one caller, and all callers together, may have open on a server.

A server stream holds memory and a worker's time for as long as its client keeps it open,
reading or not. Each server counts its open streams per caller (the verified subject of
the token, shared.identity) and in all; past either limit a new stream is
RESOURCE_EXHAUSTED with a google.rpc RetryInfo, before its handler runs. The counts are
per process: another replica may have room, and a stream that ends frees its place at once.

Every service gets it from shared.server, for every server-streaming method written as an
async generator (StreamFrameStates, StreamLabels, DownloadRelease, ...); unary calls are
not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import grpc
from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge

from shared.call_scope import TOOLING_PREFIXES, ScopeInterceptor
from shared.errors import ResourceExhausted
from shared.identity import current_caller
from shared.limits import MAX_STREAMS, MAX_STREAMS_PER_CALLER, STREAM_RETRY_DELAY_S
from shared.memory import trim_soon

# Probes and tooling are neither authenticated nor counted (shared.auth_grpc).
OPEN_PREFIXES = TOOLING_PREFIXES

OPEN_STREAMS = Gauge("framewise_streams_open", "Server streams open on this process.")
REFUSED = MetricCounter("framewise_streams_refused_total",
                        "Server streams refused for a concurrency limit.", ["limit"])


class StreamLimiter:
    """Counts open streams per caller and in all. Used only from the event loop thread,
    so the counts need no lock."""

    def __init__(self, per_caller: int = MAX_STREAMS_PER_CALLER, total: int = MAX_STREAMS,
                 retry_delay_s: float = STREAM_RETRY_DELAY_S) -> None:
        if per_caller < 1 or total < 1:
            raise ValueError("stream limits must be at least 1")
        self.per_caller = per_caller
        self.total = total
        self.retry_delay_s = retry_delay_s
        self._by_caller: Counter[str] = Counter()
        self._open = 0

    @property
    def open(self) -> int:
        return self._open

    def open_for(self, caller: str) -> int:
        return self._by_caller[caller]

    def _refuse(self, limit: str, value: int, message: str) -> ResourceExhausted:
        REFUSED.labels(limit).inc()
        return ResourceExhausted(
            f"{message}; retry in {self.retry_delay_s:g} s", reason="TOO_MANY_STREAMS",
            metadata={"limit": limit, "value": str(value)}, retry_delay_s=self.retry_delay_s)

    @contextmanager
    def stream(self, caller: str) -> Iterator[None]:
        """One open stream of `caller` for the duration of the block; raises
        ResourceExhausted if it is one too many."""
        # The caller's own limit first: it is the one they can do something about.
        if self._by_caller[caller] >= self.per_caller:
            raise self._refuse("MAX_STREAMS_PER_CALLER", self.per_caller,
                               f"too many open streams: at most {self.per_caller} per caller "
                               "at once on this server")
        if self._open >= self.total:
            raise self._refuse("MAX_STREAMS", self.total,
                               f"the server has its maximum of {self.total} streams open")
        self._by_caller[caller] += 1
        self._open += 1
        OPEN_STREAMS.inc()
        try:
            yield
        finally:
            self._open -= 1
            OPEN_STREAMS.dec()
            self._by_caller[caller] -= 1
            if not self._by_caller[caller]:
                del self._by_caller[caller]  # no entry per caller ever seen
            trim_soon()  # what the stream freed goes back to the system (shared.memory)


class StreamLimitInterceptor(ScopeInterceptor):
    """Applies a StreamLimiter to every server stream but health and reflection. Must come
    after the AuthInterceptor (it reads the caller) and after the error mapping (which
    turns the refusal into RESOURCE_EXHAUSTED with details)."""

    skipped = OPEN_PREFIXES

    def __init__(self, limiter: StreamLimiter) -> None:
        self.limiter = limiter

    def applies(self, handler: grpc.RpcMethodHandler) -> bool:
        return bool(handler.unary_stream)

    def scope(self, method: str, kind: str,
              context: grpc.aio.ServicerContext) -> AbstractContextManager[None]:
        # Only server streams get here (`applies`); the caller is known (inside auth).
        return self.limiter.stream(current_caller())
