"""The whole suite running: dataset, labeling, interpolation (on SQLite) and the release
service on the database under test, each pointed at the others, keeping its files in a
directory or in an object store (`blob_kind`): the same tests run on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.service.release.helpers import BlobPlace, Suite, suite_running
from tests.support.s3 import S3Server, make_bucket


@pytest.fixture(params=["directory", "s3"])
def blob_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def blob_place(blob_kind: str, request: pytest.FixtureRequest) -> BlobPlace:
    if blob_kind == "directory":
        return BlobPlace()
    # Only the object-store runs start (or skip for want of) the S3-protocol server.
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = make_bucket(server)
    return BlobPlace("s3", bucket.url("releases"), bucket.options)


@pytest.fixture
async def suite(db_url: str, tmp_path: Path, blob_place: BlobPlace) -> AsyncIterator[Suite]:
    async with suite_running(db_url, tmp_path, blobs=blob_place) as running_suite:
        yield running_suite
