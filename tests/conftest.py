"""Fixtures shared by every test: databases on SQLite and PostgreSQL, running services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import database_url

# s3_server, s3_bucket: an S3-protocol server (moto) for the object-store tests.
pytest_plugins = ["tests.support.s3"]


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def db_url(db_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(db_kind, tmp_path) as url:
        yield url
