"""Token verification: signature, issuer, audience, expiry, both algorithms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared import auth
from shared.auth import LEEWAY_S, AuthConfig, VerifiedTokens, mint, verify
from shared.errors import Unauthenticated

SECRET = "s" * 40


def _reason(call) -> str:
    with pytest.raises(Unauthenticated) as caught:
        call()
    return caught.value.reason


def test_hs256_token_names_its_subject():
    config = AuthConfig(secret=SECRET)
    assert verify(config, f"Bearer {mint('alice', secret=SECRET)}") == "alice"


def test_every_bad_token_is_unauthenticated_with_a_reason():
    config = AuthConfig(secret=SECRET)
    assert _reason(lambda: verify(config, None)) == "MISSING_TOKEN"
    assert _reason(lambda: verify(config, "Basic abc")) == "MALFORMED_TOKEN"
    assert _reason(lambda: verify(config, "Bearer not.a.jwt")) == "INVALID_TOKEN"
    other = mint("alice", secret="x" * 40)
    assert _reason(lambda: verify(config, f"Bearer {other}")) == "INVALID_TOKEN"
    expired = mint("alice", secret=SECRET, ttl_s=-120)
    assert _reason(lambda: verify(config, f"Bearer {expired}")) == "EXPIRED_TOKEN"
    wrong_audience = mint("alice", secret=SECRET, audience="someone-else")
    assert _reason(lambda: verify(config, f"Bearer {wrong_audience}")) == "INVALID_TOKEN"
    wrong_issuer = mint("alice", secret=SECRET, issuer="evil")
    assert _reason(lambda: verify(config, f"Bearer {wrong_issuer}")) == "INVALID_TOKEN"
    assert _reason(lambda: verify(config, "Bearer " + "a" * 10_000)) == "MALFORMED_TOKEN"


def test_a_remembered_token_is_verified_again_once_it_would_have_expired(monkeypatch):
    verifications = []
    decode = auth.jwt.decode

    def counted(*args, **kwargs):
        verifications.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counted)
    now = [time.time()]
    tokens = VerifiedTokens(AuthConfig(secret=SECRET), clock=lambda: now[0])
    token = f"Bearer {mint('alice', secret=SECRET, ttl_s=60)}"
    assert tokens.caller(token) == "alice"
    assert tokens.caller(token) == "alice"
    assert len(verifications) == 1
    now[0] += 60 + LEEWAY_S + 1
    assert tokens.caller(token) == "alice"  # the real clock: still valid, checked again
    assert len(verifications) == 2
    assert _reason(lambda: tokens.caller(f"Bearer {mint('alice', secret='x' * 40)}")) \
        == "INVALID_TOKEN"


def test_rs256_tokens_verify_with_the_public_key_only():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    config = AuthConfig(public_key=public)
    assert verify(config, f"Bearer {mint('bob', private_key=private)}") == "bob"
    # An HS256 token signed with the public key as secret must not pass (alg confusion).
    assert _reason(lambda: verify(config, f"Bearer {_hs256_by_hand(public)}")) == "INVALID_TOKEN"


def _hs256_by_hand(key: str) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = {"sub": "mallory", "iss": "framewise", "aud": "framewise",
              "exp": int(time.time()) + 600}
    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing = f"{header}.{part(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{part(signature)}"


def test_config_needs_exactly_one_strong_key():
    with pytest.raises(ValueError):
        AuthConfig()
    with pytest.raises(ValueError):
        AuthConfig(secret="short")
    with pytest.raises(ValueError):
        AuthConfig(secret=SECRET, public_key="pem")
