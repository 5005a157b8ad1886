"""The TypeScript (Node.js) client against the suite as `make run` starts it.

Installs clients/typescript (`npm ci`, from the npm registry, once per package-lock),
starts `framewise-all` on free ports, runs the client's end-to-end test with Node's test
runner (`npm test`: types generated from protos/, type-checked, then test/e2e.test.ts),
then reads the services' Prometheus endpoints for the calls Node made.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.runner import available_services
from tests.support.tokens import TEST_SECRET, token_for

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
STAMP = CLIENT / "node_modules" / ".framewise-installed"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI"):
            pytest.fail("npm not found: the TypeScript client's end-to-end test needs Node.js")
        pytest.skip("npm not found: the TypeScript client's end-to-end test needs Node.js")
    return npm


@pytest.fixture(scope="module")
def client_installed() -> Path:
    npm = _npm()
    lock = CLIENT / "package-lock.json"
    if not STAMP.exists() or STAMP.stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=CLIENT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        STAMP.touch()
    return CLIENT


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[dict[str, tuple[str, int]]]:
    """The suite on free ports: service -> (gRPC address, metrics port)."""
    services = available_services()
    ports = {name: (_free_port(), _free_port()) for name in services}
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(tmp_path / "data"),
           "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET}
    for name, (port, metrics) in ports.items():
        env[f"FRAMEWISE_{name.upper()}_PORT"] = str(port)
        env[f"FRAMEWISE_{name.upper()}_METRICS_PORT"] = str(metrics)
    process = subprocess.Popen([sys.executable, "-m", "shared.runner"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while not any("press Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(lines)
            lines.append(line)
        for name, (port, metrics) in ports.items():
            assert any(f"framewise {name}" in x and f"127.0.0.1:{port}" in x
                       and f"127.0.0.1:{metrics}/metrics" in x
                       for x in lines), lines
        yield {name: (f"127.0.0.1:{port}", metrics) for name, (port, metrics) in ports.items()}
    finally:
        process.send_signal(signal.SIGINT)
        remaining, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(lines) + remaining


def _handled(metrics_port: int, method: str, code: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "grpc_server_handled_total"
                    and sample.labels.get("grpc_method") == method
                    and sample.labels.get("grpc_code") == code):
                total += sample.value
    return total


def test_the_node_client_drives_the_suite(client_installed: Path,
                                          suite: dict[str, tuple[str, int]]) -> None:
    env = {**os.environ, "FRAMEWISE_TOKEN": token_for("e2e-node")}
    for name, (address, _) in suite.items():
        env[f"FRAMEWISE_{name.upper()}_ADDRESS"] = address
    if "release" not in suite:
        env["FRAMEWISE_E2E_SKIP_RELEASE"] = "1"
    run = subprocess.run([_npm(), "test", "--silent"], cwd=client_installed, env=env,
                         capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    print(output)  # shown with `pytest -rP`
    assert run.returncode == 0, output
    passed = re.search(r"^# pass (\d+)$", output, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", output, re.MULTILINE)
    assert passed and failed, output
    assert int(failed.group(1)) == 0, output
    assert int(passed.group(1)) >= 5, output
    if "release" not in suite:
        assert "# skipped 1" in output, output

    # What Node did shows in the services' metrics, by method and status code.
    interpolation = suite["interpolation"][1]
    assert _handled(interpolation, "StreamFrameStates", "OK") >= 2
    assert _handled(interpolation, "StreamFrameStates", "NOT_FOUND") >= 1
    assert _handled(suite["labeling"][1], "SaveLabel", "ABORTED") >= 1
    assert _handled(suite["dataset"][1], "CreateSample", "INVALID_ARGUMENT") >= 1
    if "release" in suite:
        assert _handled(suite["release"][1], "DownloadRelease", "OK") >= 1
