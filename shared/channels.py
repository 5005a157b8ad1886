"""Channels for service-to-service calls: round robin, retries for UNAVAILABLE, deadlines,
and mutual TLS when the service has a certificate (shared/tls.py)."""

from __future__ import annotations

import grpc

# The service config and options of every channel to a service, the clients' too.
from framewise.connection import CHANNEL_OPTIONS
from shared import tracing
from shared.auth_grpc import forwarding_interceptors
from shared.config import ServiceConfig
from shared.peers import deadline_interceptors

# The deadline of a service-to-service call that names none (channel_to).
DEFAULT_DEADLINE_S = 10.0


def aio_channel(address: str,
                interceptors: list[grpc.aio.ClientInterceptor] | None = None,
                credentials: grpc.ChannelCredentials | None = None) -> grpc.aio.Channel:
    """A channel with the suite's service config; TLS with `credentials`, else plaintext."""
    # The tracing interceptors pass the trace context (`traceparent`) and request id on.
    chain = [*tracing.client_interceptors(), *(interceptors or [])]
    if credentials is None:
        return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS, interceptors=chain)
    return grpc.aio.secure_channel(address, credentials, options=CHANNEL_OPTIONS,
                                   interceptors=chain)


def channel_to(config: ServiceConfig, service: str) -> grpc.aio.Channel:
    """A channel from the service of `config` to another Framewise service; every call on
    it carries the token of the call being served, so the caller's rights apply there, and
    a deadline (DEFAULT_DEADLINE_S unless the call names one). With TLS configured it
    verifies the peer with the CA and presents the service's own certificate (the peer
    requires one under mutual TLS)."""
    credentials = config.tls.channel_credentials() if config.tls is not None else None
    return aio_channel(config.peer(service),
                       [*forwarding_interceptors(), *deadline_interceptors(DEFAULT_DEADLINE_S)],
                       credentials)
