"""Settings read from the environment."""

from __future__ import annotations

import pytest

from shared import config


def test_the_connection_age_grace_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    """NOTES.md: a stream longer than age + grace dies with UNAVAILABLE "max connection
    age"; the manifests set a grace longer than the longest stream's deadline."""
    monkeypatch.delenv("FRAMEWISE_MAX_CONNECTION_AGE_GRACE_MS", raising=False)
    assert config.load("release").max_connection_age_grace_ms == 30_000
    monkeypatch.setenv("FRAMEWISE_MAX_CONNECTION_AGE_GRACE_MS", "3660000")
    assert config.load("release").max_connection_age_grace_ms == 3_660_000
