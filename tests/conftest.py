"""Fixtures shared by every test: databases on SQLite and PostgreSQL, running services.

Markers by directory: tests under tests/e2e, tests/faults and tests/cluster get their
directory's marker and `slow`, so `pytest -m "not slow"` (`make test-fast`) runs the
unit, service and SDK tests only. A slow test elsewhere says so itself
(`pytestmark = pytest.mark.slow`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import database_url

TESTS = Path(__file__).resolve().parent
# Whole directories of slow tests: each gets its own marker and `slow`.
SLOW_DIRECTORIES = ("e2e", "faults", "cluster")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            directory = item.path.relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if directory in SLOW_DIRECTORIES:
            item.add_marker(getattr(pytest.mark, directory))
            item.add_marker(pytest.mark.slow)

# s3_server, s3_bucket: an S3-protocol server (moto) for the object-store tests.
pytest_plugins = ["tests.support.s3"]


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def db_url(db_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(db_kind, tmp_path) as url:
        yield url
