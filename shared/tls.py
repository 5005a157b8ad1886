"""TLS of a service from `FRAMEWISE_TLS_*`: its certificate for serving and for calling peers.

- `FRAMEWISE_TLS_CERT`, `FRAMEWISE_TLS_KEY`: PEM files of the certificate (chain) and its
  private key. Set: the gRPC port speaks TLS only, and calls to other services present
  the same certificate as a client certificate.
- `FRAMEWISE_TLS_CA`: a PEM bundle of the CA. Set: the server requires a client
  certificate signed by it (mutual TLS), and calls to other services verify them with it
  (else with the system roots).

Unset: plaintext, as under `make run`. The files are read once, at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

TLS_CERT = "FRAMEWISE_TLS_CERT"
TLS_KEY = "FRAMEWISE_TLS_KEY"
TLS_CA = "FRAMEWISE_TLS_CA"


@dataclass(frozen=True)
class TlsConfig:
    """PEM bytes of a service's certificate chain and key, and of the CA (None: no mTLS)."""

    cert: bytes
    key: bytes
    ca: bytes | None = None

    @property
    def mutual(self) -> bool:
        return self.ca is not None

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.key, self.cert)], root_certificates=self.ca,
                                           require_client_auth=self.mutual)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """For calls to another service: verify it with the CA, present our certificate."""
        return grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=self.key,
                                            certificate_chain=self.cert)


def _read(environ: Mapping[str, str], name: str) -> bytes | None:
    path = environ.get(name, "").strip()
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None


def _certificates(name: str, pem: bytes) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        certificates = []
    if not certificates:
        raise ValueError(f"{name}: the file holds no PEM certificate")
    return certificates


def _public(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def tls_config(environ: Mapping[str, str] | None = None) -> TlsConfig | None:
    """The TLS configured in `environ` (default: the process environment), or None.

    Raises ValueError naming the variable when it is half set or a file is unusable, so a
    service refuses to start rather than serve plaintext or fail at the first handshake.
    """
    environ = os.environ if environ is None else environ
    cert, key, ca = (_read(environ, name) for name in (TLS_CERT, TLS_KEY, TLS_CA))
    if cert is None and key is None:
        if ca is not None:
            raise ValueError(f"{TLS_CA} is set but {TLS_CERT} and {TLS_KEY} are not: a "
                             "service needs its own certificate and key to serve TLS")
        return None
    if cert is None or key is None:
        given, missing = (TLS_CERT, TLS_KEY) if key is None else (TLS_KEY, TLS_CERT)
        raise ValueError(f"{given} is set but {missing} is not: set both (PEM files)")
    leaf = _certificates(TLS_CERT, cert)[0]
    try:
        private_key = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{TLS_KEY}: not an unencrypted PEM private key ({exc})") from None
    if _public(private_key.public_key()) != _public(leaf.public_key()):
        raise ValueError(f"{TLS_KEY} is not the key of the certificate in {TLS_CERT}")
    if ca is not None:
        _certificates(TLS_CA, ca)
    return TlsConfig(cert=cert, key=key, ca=ca)
