"""The gRPC server every service runs: health, reflection, error mapping, graceful stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from shared import logs, paging, tracing
from shared.auth_grpc import AuthInterceptor
from shared.config import ServiceConfig
from shared.grpc_errors import ErrorMappingInterceptor
from shared.metrics import MetricsEndpoint, MetricsInterceptor
from shared.stream_limits import StreamLimiter, StreamLimitInterceptor

log = logging.getLogger("framewise.server")

# Health name for liveness probes: SERVING while the process runs, draining included, so a
# graceful shutdown (readiness NOT_SERVING) never makes Kubernetes restart the pod.
LIVENESS_SERVICE = "framewise.liveness"


class _HealthServicer(health.aio.HealthServicer):
    """The standard health servicer, except that draining leaves liveness SERVING."""

    async def enter_graceful_shutdown(self) -> None:
        await super().enter_graceful_shutdown()
        await self._set(LIVENESS_SERVICE, health_pb2.HealthCheckResponse.SERVING)


@dataclass(frozen=True)
class Registration:
    """One gRPC service to serve: its full name and how to add its servicer."""

    full_name: str
    add: Callable[[grpc.aio.Server], None]


@dataclass
class Server:
    """A service's gRPC server and what must be closed after it stops."""

    config: ServiceConfig
    registrations: list[Registration]
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    port: int = 0
    # Port of the Prometheus endpoint once started (None: none, config.metrics_port).
    metrics_port: int | None = None
    # Port of the plaintext health-only server once started (None: none, config.probe_port).
    probe_port: int | None = None
    _server: grpc.aio.Server | None = None
    _probe: grpc.aio.Server | None = None
    _metrics: MetricsEndpoint | None = None
    _health: health.aio.HealthServicer | None = None
    # Counts the open server streams once started (shared.stream_limits).
    stream_limiter: StreamLimiter | None = None

    async def start(self) -> int:
        """Binds and starts; returns the port (useful with port 0 in tests)."""
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", self.config.max_message_bytes),
            ("grpc.max_send_message_length", self.config.max_message_bytes),
            # Clients re-resolve and find new replicas when old connections age out.
            ("grpc.max_connection_age_ms", self.config.max_connection_age_ms),
            ("grpc.max_connection_age_grace_ms", self.config.max_connection_age_grace_ms),
            ("grpc.so_reuseport", 0),
        ]
        tracing.setup(self.config.name)
        # Outermost first: the span is current while metrics time the call and log it,
        # and both see the status the error mapping produced.
        if self.config.auth is None:
            raise RuntimeError(
                "authentication is not configured: set FRAMEWISE_AUTH_HS256_SECRET (or "
                "_FILE) or FRAMEWISE_AUTH_RS256_PUBLIC_KEY_FILE (`make run` creates a "
                "development secret)")
        paging.configure_key(self.config.page_token_key or self.config.auth.verification_key)
        # The token is checked inside the error mapping, so UNAUTHENTICATED has details;
        # streams are counted by caller, so inside authentication.
        self.stream_limiter = StreamLimiter(self.config.max_streams_per_caller,
                                            self.config.max_streams)
        interceptors = [tracing.TracingServerInterceptor(), MetricsInterceptor(),
                        ErrorMappingInterceptor(), AuthInterceptor(self.config.auth),
                        StreamLimitInterceptor(self.stream_limiter)]
        server = grpc.aio.server(interceptors=interceptors, options=options)
        for registration in self.registrations:
            registration.add(server)
        self._health = _HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        names = [r.full_name for r in self.registrations]
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME],
            server,
        )
        tls = self.config.tls
        if tls is None:
            self.port = server.add_insecure_port(self.config.listen_address)
        else:  # TLS only: no plaintext listener next to it
            self.port = server.add_secure_port(self.config.listen_address,
                                               tls.server_credentials())
        if self.port == 0:
            raise RuntimeError(f"cannot bind {self.config.listen_address}")
        probe = self._bind_probe(self._health)
        await server.start()
        for name in ["", LIVENESS_SERVICE, *names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._server = server
        security = "plaintext" if tls is None else "mutual TLS" if tls.mutual else "TLS"
        log.info("%s listening on %s:%d (%s)", self.config.name, self.config.host, self.port,
                 security, extra={"address": f"{self.config.host}:{self.port}"})
        if probe is not None:
            await probe.start()
            self._probe = probe
            log.info("%s health probes on %s:%d (plaintext, health only)", self.config.name,
                     self.config.host, self.probe_port)
        await self._start_metrics()
        return self.port

    def _bind_probe(self, health_servicer: health.aio.HealthServicer) -> grpc.aio.Server | None:
        """Health only, plaintext: Kubernetes' native gRPC probes cannot speak TLS. The same
        health servicer as the main port, so readiness turns NOT_SERVING there too. Bound
        before anything starts, so a taken port fails the start cleanly."""
        if self.config.probe_port is None:
            return None
        probe = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, probe)
        address = f"{self.config.host}:{self.config.probe_port}"
        self.probe_port = probe.add_insecure_port(address)
        if self.probe_port == 0:
            raise RuntimeError(f"cannot bind the probe port {address}")
        return probe

    async def _start_metrics(self) -> None:
        """The `/metrics` endpoint; a port that is taken costs the metrics, not the service."""
        if self.config.metrics_port is None:
            return
        endpoint = MetricsEndpoint()
        try:
            self.metrics_port = await endpoint.start(self.config.host, self.config.metrics_port)
        except OSError as exc:
            log.error("%s: no metrics endpoint, cannot listen on %s:%d (%s)", self.config.name,
                      self.config.host, self.config.metrics_port, exc)
            return
        self._metrics = endpoint
        address = f"{self.config.host}:{self.metrics_port}"
        log.info("%s metrics on http://%s/metrics", self.config.name, address,
                 extra={"address": address})

    async def stop(self, grace: float | None = None) -> None:
        """Readiness goes NOT_SERVING, in-flight calls get `grace` seconds, then cleanup."""
        if self._server is None:
            return
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        await self._server.stop(self.config.grace_period_s if grace is None else grace)
        self._server = None
        # Probes kept answering while the server drained (readiness NOT_SERVING).
        if self._probe is not None:
            await self._probe.stop(0)
            self._probe = None
        if self._metrics is not None:
            await self._metrics.stop()
            self._metrics = None
        for callback in reversed(self.on_stop):
            await callback()

    async def wait(self) -> None:
        if self._server is not None:
            await self._server.wait_for_termination()


async def _serve(
    build: Callable[[ServiceConfig], Awaitable[Server]], config: ServiceConfig
) -> None:
    server = await build(config)
    await server.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("%s shutting down", config.name)
    await server.stop()


def run(build: Callable[[ServiceConfig], Awaitable[Server]], config: ServiceConfig) -> None:
    """Entry point of a service process: serve until SIGTERM or SIGINT."""
    logs.configure(config.name, config.log_level, config.log_format)
    asyncio.run(_serve(build, config))
