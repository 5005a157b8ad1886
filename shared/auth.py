"""Bearer tokens: JWTs verified with a configured key (HS256 secret or RS256 public key).

Every call carries `authorization: Bearer <jwt>`; the token's `sub` is the caller. The
issuer, audience and expiry are checked. Health and reflection stay open. Minting is
for development and tests (`python -m shared.auth mint --user alice`), with the HS256
secret (or an RS256 private key) of the deployment.

Configuration (environment):
- `FRAMEWISE_AUTH_HS256_SECRET` (or `_FILE`): a shared secret, at least 32 bytes;
- `FRAMEWISE_AUTH_RS256_PUBLIC_KEY_FILE`: a PEM public key, to verify RS256 tokens
  minted elsewhere (an identity provider);
- `FRAMEWISE_AUTH_ISSUER` (default `framewise`), `FRAMEWISE_AUTH_AUDIENCE` (default
  `framewise`).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt

from shared.errors import Unauthenticated
from shared.limits import MAX_TOKEN_BYTES, MAX_USER_LENGTH

DEFAULT_ISSUER = "framewise"
DEFAULT_AUDIENCE = "framewise"
MIN_SECRET_BYTES = 32
LEEWAY_S = 30
AUTH_VARIABLES = ("FRAMEWISE_AUTH_HS256_SECRET", "FRAMEWISE_AUTH_HS256_SECRET_FILE",
                  "FRAMEWISE_AUTH_RS256_PUBLIC_KEY", "FRAMEWISE_AUTH_RS256_PUBLIC_KEY_FILE")


def _read(name: str) -> str:
    value = os.environ.get(name, "").strip()
    path = os.environ.get(f"{name}_FILE", "").strip()
    if not value and path:
        value = Path(path).read_text().strip()
    return value


@dataclass(frozen=True)
class AuthConfig:
    """How tokens are verified: exactly one of a secret (HS256) or a public key (RS256)."""

    secret: str = ""
    public_key: str = ""
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE

    def __post_init__(self) -> None:
        if bool(self.secret) == bool(self.public_key):
            raise ValueError("configure one of FRAMEWISE_AUTH_HS256_SECRET or "
                             "FRAMEWISE_AUTH_RS256_PUBLIC_KEY_FILE")
        if self.secret and len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"FRAMEWISE_AUTH_HS256_SECRET must be at least "
                             f"{MIN_SECRET_BYTES} bytes")

    @property
    def algorithm(self) -> str:
        return "HS256" if self.secret else "RS256"

    @property
    def verification_key(self) -> str:
        return self.secret or self.public_key

    @classmethod
    def from_env(cls) -> AuthConfig:
        return cls(
            secret=_read("FRAMEWISE_AUTH_HS256_SECRET"),
            public_key=_read("FRAMEWISE_AUTH_RS256_PUBLIC_KEY"),
            issuer=os.environ.get("FRAMEWISE_AUTH_ISSUER", "").strip() or DEFAULT_ISSUER,
            audience=os.environ.get("FRAMEWISE_AUTH_AUDIENCE", "").strip() or DEFAULT_AUDIENCE,
        )


def verify(config: AuthConfig, authorization: str | None) -> str:
    """The caller of a call with this `authorization` metadata value, or Unauthenticated."""
    return _verify(config, authorization)[0]


def _verify(config: AuthConfig, authorization: str | None) -> tuple[str, float]:
    """(caller, the time after which the token is refused as expired)."""
    if not authorization:
        raise Unauthenticated("missing bearer token: send 'authorization: Bearer <token>'",
                              reason="MISSING_TOKEN")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the authorization metadata must be 'Bearer <token>'",
                              reason="MALFORMED_TOKEN")
    if len(token) > MAX_TOKEN_BYTES:
        raise Unauthenticated(f"bearer token too long (at most {MAX_TOKEN_BYTES} bytes)",
                              reason="MALFORMED_TOKEN")
    try:
        claims = jwt.decode(
            token.strip(), config.verification_key, algorithms=[config.algorithm],
            audience=config.audience, issuer=config.issuer, leeway=LEEWAY_S,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the bearer token has expired", reason="EXPIRED_TOKEN") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"invalid bearer token: {exc}", reason="INVALID_TOKEN") from exc
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthenticated("the bearer token names no subject", reason="INVALID_TOKEN")
    if len(subject.strip()) > MAX_USER_LENGTH:
        # The subject is stored as who created and changed things, as user ids are.
        raise Unauthenticated(f"the bearer token's subject is longer than {MAX_USER_LENGTH} "
                              "characters", reason="INVALID_TOKEN")
    return subject.strip(), float(claims["exp"]) + LEEWAY_S


class VerifiedTokens:
    """`verify` with a memory: the callers of tokens that verified, until they expire.

    Verifying a JWT costs more than the rest of a small call's Python work, and a client
    sends the same token on every call. A token that verified once verifies again until
    its expiry (nothing else in it depends on time, and the key is fixed for the
    process), so the cached answer is the one `verify` would give. Failures are not kept.
    """

    def __init__(self, config: AuthConfig, max_entries: int = 1024,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.max_entries = max_entries
        self.clock = clock
        self._callers: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def caller(self, authorization: str | None) -> str:
        entry = self._callers.get(authorization) if authorization else None
        if entry is not None and self.clock() < entry[1]:
            return entry[0]
        caller, expires = _verify(self.config, authorization)
        assert authorization is not None  # _verify refuses a missing token
        self._callers[authorization] = (caller, expires)
        if len(self._callers) > self.max_entries:
            self._callers.popitem(last=False)  # the oldest verified
        return caller


def mint(subject: str, *, secret: str = "", private_key: str = "", issuer: str = DEFAULT_ISSUER,
         audience: str = DEFAULT_AUDIENCE, ttl_s: int = 12 * 3600) -> str:
    """A token for `subject` (development, tests, and scripts holding the signing key)."""
    now = int(time.time())
    claims = {"sub": subject, "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl_s}
    if secret:
        return jwt.encode(claims, secret, algorithm="HS256")
    return jwt.encode(claims, private_key, algorithm="RS256")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m shared.auth",
        description="Mint a development token with the configured HS256 secret "
                    "(FRAMEWISE_AUTH_HS256_SECRET) or an RS256 private key file.")
    sub = parser.add_subparsers(dest="command", required=True)
    minting = sub.add_parser("mint", help="print a bearer token")
    minting.add_argument("--user", required=True, help="the token's subject")
    minting.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    minting.add_argument("--private-key-file", help="RS256 private key (PEM)")
    args = parser.parse_args(argv)
    config_issuer = os.environ.get("FRAMEWISE_AUTH_ISSUER", "").strip() or DEFAULT_ISSUER
    config_audience = os.environ.get("FRAMEWISE_AUTH_AUDIENCE", "").strip() or DEFAULT_AUDIENCE
    private_key = Path(args.private_key_file).read_text() if args.private_key_file else ""
    secret = "" if private_key else _read("FRAMEWISE_AUTH_HS256_SECRET")
    if not (secret or private_key):
        parser.error("set FRAMEWISE_AUTH_HS256_SECRET or pass --private-key-file")
    print(mint(args.user, secret=secret, private_key=private_key, issuer=config_issuer,
               audience=config_audience, ttl_s=args.ttl))


if __name__ == "__main__":
    main()
