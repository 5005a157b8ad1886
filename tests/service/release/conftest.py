"""The whole suite running: dataset, labeling, interpolation (on SQLite) and the release
service on the database under test, each pointed at the others."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.service.release.helpers import Suite, suite_running


@pytest.fixture
async def suite(db_url: str, tmp_path: Path) -> AsyncIterator[Suite]:
    async with suite_running(db_url, tmp_path) as running_suite:
        yield running_suite
