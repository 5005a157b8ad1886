"""An S3-protocol server for tests: moto's standalone server, as its own process.

`s3_server` (session-scoped) starts `python -m moto.server` on a free loopback port and
waits until it answers; `s3_bucket` makes a fresh bucket per test. Where moto cannot be
started the tests that use them skip with one line, unless FRAMEWISE_REQUIRE_S3=1 (CI),
where they fail. The client talks to it over HTTP like to any S3 endpoint: nothing of
the client library is mocked.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from services.release.storage.s3_blobs import S3Options

REQUIRE_S3 = os.environ.get("FRAMEWISE_REQUIRE_S3", "") in ("1", "true", "yes")
STARTUP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    options: S3Options


@dataclass(frozen=True)
class S3Bucket:
    server: S3Server
    name: str

    @property
    def options(self) -> S3Options:
        return self.server.options

    def url(self, prefix: str = "releases") -> str:
        return f"s3://{self.name}/{prefix}"


def _unavailable(reason: str) -> None:
    message = f"S3-protocol server (moto) unavailable: {reason}"
    if REQUIRE_S3:
        pytest.fail(f"{message}, and FRAMEWISE_REQUIRE_S3 is set")
    pytest.skip(f"{message}: object-store tests skipped (pip install 'moto[server]')")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        _unavailable("moto[server] is not installed")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # Its log goes to a file: a pipe nobody reads fills up (a line per request) and the
    # server then blocks writing to it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _answers(endpoint):
                if process.poll() is not None:
                    log.seek(0)
                    error = log.read().decode(errors="replace").strip().splitlines()
                    _unavailable("moto.server exited "
                                 f"({error[-1] if error else process.returncode})")
                if time.monotonic() > deadline:
                    _unavailable(f"moto.server did not answer within {STARTUP_TIMEOUT_S:.0f}s")
                time.sleep(0.05)
            yield S3Server(endpoint, S3Options(
                endpoint_url=endpoint, region="us-east-1", path_style=True,
                access_key_id="test", secret_access_key="test"))
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def make_bucket(server: S3Server) -> S3Bucket:
    from services.release.storage.s3_blobs import S3BlobStore

    name = f"fw-test-{uuid.uuid4().hex[:12]}"
    S3BlobStore(name, "", server.options).client.create_bucket(Bucket=name)
    return S3Bucket(server, name)


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> S3Bucket:
    """A new, empty bucket for one test."""
    return make_bucket(s3_server)
