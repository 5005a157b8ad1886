"""Configuration from `FRAMEWISE_*` environment variables, with defaults for a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The services, their ports and where each is reached are the same for clients: their
# home is the client distribution's `framewise.connection`.
from framewise.connection import DEFAULT_PORTS as DEFAULT_PORTS
from framewise.connection import SERVICES as SERVICES
from framewise.connection import env_prefix as env_prefix
from framewise.connection import service_address as service_address
from shared.auth import AUTH_VARIABLES, AuthConfig
from shared.limits import MAX_MESSAGE_BYTES, MAX_STREAMS, MAX_STREAMS_PER_CALLER
from shared.tls import TlsConfig, tls_config

# Prometheus `/metrics` of each service under `make run` (shared/runner.py). A service
# started on its own serves metrics only where `FRAMEWISE_<SERVICE>_METRICS_PORT` is set
# (the Kubernetes manifests set it), so tests and tools that start servers bind nothing.
DEFAULT_METRICS_PORTS: dict[str, int] = {
    "dataset": 9091,
    "labeling": 9092,
    "interpolation": 9093,
    "release": 9094,
}


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class ServiceConfig:
    """Everything one service process needs to start."""

    name: str
    host: str
    port: int
    data_dir: Path
    database_url: str
    log_level: str
    log_format: str
    auto_migrate: bool
    grace_period_s: float
    max_message_bytes: int
    max_connection_age_ms: int
    # How long calls still running on a connection that aged out may go on before gRPC
    # cuts them: longer than the longest stream's deadline, or streams die at age + grace.
    max_connection_age_grace_ms: int
    # Where the other services are: name -> address (`FRAMEWISE_<SERVICE>_ADDRESS`).
    peers: dict[str, str]
    # Port of the Prometheus `/metrics` endpoint (on `host`); None: no endpoint.
    metrics_port: int | None = None
    # How bearer tokens are verified; None when not configured (the server refuses to start).
    auth: AuthConfig | None = None
    # Certificates (`FRAMEWISE_TLS_*`, shared/tls.py); None: plaintext.
    tls: TlsConfig | None = None
    # A plaintext port serving only grpc.health.v1 (on `host`), for Kubernetes probes,
    # which cannot speak TLS; None: none.
    probe_port: int | None = None
    # What page tokens are signed with (shared/paging.py): FRAMEWISE_PAGE_TOKEN_KEY, else
    # the token-verification key, which every replica of a deployment shares.
    page_token_key: str = ""
    # Server streams open at once, in all and per caller (shared.stream_limits).
    max_streams: int = MAX_STREAMS
    max_streams_per_caller: int = MAX_STREAMS_PER_CALLER

    @property
    def listen_address(self) -> str:
        return f"{self.host}:{self.port}"

    def peer(self, service: str) -> str:
        return self.peers[service]


def default_database_url(service: str, data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / f'{service}.db').resolve()}"


def data_dir() -> Path:
    return Path(_env("FRAMEWISE_DATA_DIR", "./data"))


def _optional_port(name: str) -> int | None:
    """`name`: a port, 0 for a free one; unset or `off`: none."""
    value = _env(name, "off")
    if value.lower() in ("off", "none", "false", "no", "disabled"):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}: not a port number: {value!r}") from None


def metrics_port(service: str) -> int | None:
    """`FRAMEWISE_<SERVICE>_METRICS_PORT`: a port, 0 for a free one; unset or `off`: none."""
    return _optional_port(f"{env_prefix(service)}_METRICS_PORT")


def probe_port(service: str) -> int | None:
    """`FRAMEWISE_<SERVICE>_PROBE_PORT`: the plaintext health port; unset or `off`: none."""
    return _optional_port(f"{env_prefix(service)}_PROBE_PORT")


def _positive(service: str, name: str, default: int) -> int:
    """`FRAMEWISE_<SERVICE>_<name>`, else `FRAMEWISE_<name>`, else `default`: an integer >= 1."""
    variable = f"{env_prefix(service)}_{name}"
    value = _env(variable, _env(f"FRAMEWISE_{name}", str(default)))
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{variable}: not an integer: {value!r}") from None
    if number < 1:
        raise ValueError(f"{variable}: must be at least 1, got {number}")
    return number


def auth_config() -> AuthConfig | None:
    """The token verification configured in the environment, or None if there is none."""
    try:
        return AuthConfig.from_env()
    except ValueError as exc:
        if "configure one of" in str(exc) and not any(
            os.environ.get(name, "").strip() for name in AUTH_VARIABLES):
            return None
        raise


def load(service: str) -> ServiceConfig:
    """Reads the configuration of `service` from the environment."""
    prefix = env_prefix(service)
    directory = data_dir()
    return ServiceConfig(
        name=service,
        host=_env(f"{prefix}_HOST", _env("FRAMEWISE_HOST", "127.0.0.1")),
        port=int(_env(f"{prefix}_PORT", str(DEFAULT_PORTS[service]))),
        data_dir=directory,
        database_url=_env(f"{prefix}_DATABASE_URL", default_database_url(service, directory)),
        log_level=_env("FRAMEWISE_LOG_LEVEL", "INFO").upper(),
        log_format=_env("FRAMEWISE_LOG_FORMAT", "json"),
        auto_migrate=_env("FRAMEWISE_AUTO_MIGRATE", "true").lower() in ("1", "true", "yes"),
        grace_period_s=float(_env("FRAMEWISE_GRACE_PERIOD_S", "10")),
        max_message_bytes=int(_env("FRAMEWISE_MAX_MESSAGE_BYTES", str(MAX_MESSAGE_BYTES))),
        max_connection_age_ms=int(_env("FRAMEWISE_MAX_CONNECTION_AGE_MS", "300000")),
        max_connection_age_grace_ms=int(_env("FRAMEWISE_MAX_CONNECTION_AGE_GRACE_MS",
                                             "30000")),
        peers={other: service_address(other) for other in SERVICES},
        metrics_port=metrics_port(service),
        auth=auth_config(),
        tls=tls_config(),
        probe_port=probe_port(service),
        page_token_key=_env("FRAMEWISE_PAGE_TOKEN_KEY", ""),
        max_streams=_positive(service, "MAX_STREAMS", MAX_STREAMS),
        max_streams_per_caller=_positive(service, "MAX_STREAMS_PER_CALLER",
                                         MAX_STREAMS_PER_CALLER),
    )
