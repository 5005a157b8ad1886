"""How a caller reaches the Framewise services, for every caller: the SDK and CLI, and the
services when they call each other (`shared.config`, `shared.channels` and
`shared.limits` import from here). Plain Python: no dependency beyond the standard
library, so the client distribution carries it without the server runtime.

- the services and their default ports;
- where a caller finds one: `FRAMEWISE_<SERVICE>_ADDRESS`, else `FRAMEWISE_HOST` (default
  127.0.0.1) and `FRAMEWISE_<SERVICE>_PORT` (default the port below);
- the options of every channel: round robin over the addresses a `dns:///` name resolves
  to, UNAVAILABLE retried with backoff, the message size limit, keepalive.
"""

from __future__ import annotations

import json
import os

SERVICES: tuple[str, ...] = ("dataset", "labeling", "interpolation", "release")

DEFAULT_PORTS: dict[str, int] = {
    "dataset": 50051,
    "labeling": 50052,
    "interpolation": 50053,
    "release": 50054,
}

# A request (or response) larger than this is RESOURCE_EXHAUSTED; the default of the
# services' FRAMEWISE_MAX_MESSAGE_BYTES (shared.limits lists it with the other limits):
# room for a batch of big samples or a long inline sequence.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# Retries with backoff for UNAVAILABLE; round_robin spreads calls over every address
# a `dns:///` name resolves to (a headless Kubernetes Service).
SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
    }
)

CHANNEL_OPTIONS: list[tuple[str, object]] = [
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.enable_retries", 1),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
]


def env_prefix(service: str) -> str:
    return f"FRAMEWISE_{service.upper()}"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def service_address(service: str) -> str:
    """Where callers reach a service: `FRAMEWISE_<SERVICE>_ADDRESS`, else its default port."""
    default_host = _env("FRAMEWISE_HOST", "127.0.0.1")
    port = _env(f"{env_prefix(service)}_PORT", str(DEFAULT_PORTS[service]))
    return _env(f"{env_prefix(service)}_ADDRESS", f"{default_host}:{port}")
