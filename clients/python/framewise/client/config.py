"""Where the services are, who is calling, and how channels are made.

Read from arguments first, then `FRAMEWISE_*` variables:

- `FRAMEWISE_<SERVICE>_ADDRESS` (else `FRAMEWISE_HOST` and `FRAMEWISE_<SERVICE>_PORT`,
  else the default ports 50051-50054 on 127.0.0.1), as the services read them;
- `FRAMEWISE_TOKEN`: sent as `authorization: Bearer <token>` (default: the development
  token `make run` writes to `$FRAMEWISE_DATA_DIR/dev-token`, if there is one); the
  token names the caller;
- `FRAMEWISE_TLS_CA` (a PEM file of the CA) or `FRAMEWISE_TLS=true` (system roots), with
  `FRAMEWISE_TLS_CERT` / `FRAMEWISE_TLS_KEY` for a client certificate (needed where the
  suite runs mutual TLS) and `FRAMEWISE_TLS_SERVER_NAME` for the name the server's
  certificate must carry when the address does not (`kubectl port-forward`);
- `FRAMEWISE_TIMEOUT_S`: the deadline of every unary call (default 30 s).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from framewise.connection import (
    CHANNEL_OPTIONS,
    SERVICES,
    service_address,
)

DEFAULT_TIMEOUT_S = 30.0
# Streams (interpolation, downloads, exports) may run long: one deadline for the whole.
DEFAULT_STREAM_TIMEOUT_S = 3600.0


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class TlsConfig:
    """TLS for every channel: a CA bundle (None: the system roots) and a client cert."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    # Checked against the server's certificate instead of the address's host name.
    server_name: str | None = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("a client certificate needs both FRAMEWISE_TLS_CERT and "
                             "FRAMEWISE_TLS_KEY (--tls-cert and --tls-key)")

    def options(self) -> list[tuple[str, object]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []

    def credentials(self) -> grpc.ChannelCredentials:
        def read(path: Path | None) -> bytes | None:
            return path.read_bytes() if path else None

        return grpc.ssl_channel_credentials(
            root_certificates=read(self.ca_file),
            private_key=read(self.key_file),
            certificate_chain=read(self.cert_file),
        )


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs; `ClientConfig.from_env()` fills the gaps."""

    addresses: dict[str, str]
    token: str = ""
    tls: TlsConfig | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    stream_timeout: float = DEFAULT_STREAM_TIMEOUT_S
    options: list[tuple[str, object]] = field(default_factory=lambda: list(CHANNEL_OPTIONS))

    @classmethod
    def from_env(cls, *, addresses: dict[str, str] | None = None, token: str | None = None,
                 tls: TlsConfig | bool | None = None, timeout: float | None = None,
                 stream_timeout: float | None = None) -> ClientConfig:
        given = addresses or {}
        unknown = set(given) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}; expected {SERVICES}")
        return cls(
            addresses={s: given.get(s) or service_address(s) for s in SERVICES},
            token=(_env("FRAMEWISE_TOKEN") or _development_token()) if token is None else token,
            tls=_tls_from(tls),
            timeout=timeout or float(_env("FRAMEWISE_TIMEOUT_S") or DEFAULT_TIMEOUT_S),
            stream_timeout=stream_timeout or DEFAULT_STREAM_TIMEOUT_S,
        )

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The metadata sent on every call: the bearer token, when set."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def channel(self, service: str) -> grpc.Channel:
        address = self.addresses[service]
        if self.tls is not None:
            return grpc.secure_channel(address, self.tls.credentials(),
                                       options=[*self.options, *self.tls.options()])
        return grpc.insecure_channel(address, options=self.options)

    def aio_channel(self, service: str) -> grpc.aio.Channel:
        address = self.addresses[service]
        if self.tls is not None:
            return grpc.aio.secure_channel(address, self.tls.credentials(),
                                           options=[*self.options, *self.tls.options()])
        return grpc.aio.insecure_channel(address, options=self.options)


def _development_token() -> str:
    """The token `make run` writes for the development user, if this is such a suite."""
    path = Path(_env("FRAMEWISE_DATA_DIR") or "./data") / "dev-token"
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def tls_from_env(*, ca: str | None = None, cert: str | None = None, key: str | None = None,
                 server_name: str | None = None, enabled: bool = False) -> TlsConfig | None:
    """TLS from the arguments given, else `FRAMEWISE_TLS_*`; None: plaintext (the default).
    A CA, a client certificate or `FRAMEWISE_TLS=true` turns it on."""
    ca = ca or _env("FRAMEWISE_TLS_CA")
    cert = cert or _env("FRAMEWISE_TLS_CERT")
    key = key or _env("FRAMEWISE_TLS_KEY")
    server_name = server_name or _env("FRAMEWISE_TLS_SERVER_NAME")
    if not (enabled or ca or cert or key or _truthy(_env("FRAMEWISE_TLS"))):
        return None
    return TlsConfig(ca_file=Path(ca) if ca else None, cert_file=Path(cert) if cert else None,
                     key_file=Path(key) if key else None, server_name=server_name or None)


def _tls_from(tls: TlsConfig | bool | None) -> TlsConfig | None:
    if isinstance(tls, TlsConfig):
        return tls
    if tls is False:
        return None
    return tls_from_env(enabled=bool(tls))
