"""The client distribution ships alone: `pip install ./clients/python` into an empty
virtualenv brings no server dependency, and its `framewise` command runs against the
suite (and fails cleanly, UNAVAILABLE, against a closed port)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from framewise.connection import SERVICES
from tests.sdk.conftest import ROOT, Suite

# What the services need and a client must not bring along.
SERVER_ONLY = {"asyncpg", "sqlalchemy", "alembic", "numpy", "opentelemetry-sdk", "aiosqlite",
               "framewise"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _isolated(env: dict[str, str]) -> dict[str, str]:
    """The environment without what would let the repository's code be imported."""
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


@pytest.mark.slow
def test_client_installs_alone_and_its_cli_runs(tmp_path: Path, suite: Suite) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, framewise = venv / "bin" / "python", venv / "bin" / "framewise"
    env = _isolated(dict(os.environ))

    def run(*args: str | Path, extra: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        # From an empty folder: nothing of the checkout is on the path.
        return subprocess.run([str(a) for a in args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=timeout, env={**env, **(extra or {})})

    install = run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  ROOT / "clients" / "python", timeout=600)
    assert install.returncode == 0, install.stderr

    listed = run(python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
    installed = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    assert "framewise-client" in installed
    assert not installed & SERVER_ONLY, sorted(installed & SERVER_ONLY)

    imports = run(python, "-c", "import importlib.util, framewise.client, "
                  "framewise.dataset.v1.dataset_pb2_grpc as g; "
                  "print(g.__file__); "
                  "print(importlib.util.find_spec('shared'), importlib.util.find_spec('services'))")
    assert imports.returncode == 0, imports.stderr
    generated, missing = imports.stdout.splitlines()
    assert str(venv) in generated  # the generated code is inside the installed package
    assert missing == "None None"

    usage = run(framewise, "--help")
    assert usage.returncode == 0, usage.stderr
    assert "datasets" in usage.stdout

    closed = {f"FRAMEWISE_{s.upper()}_ADDRESS": f"127.0.0.1:{_closed_port()}" for s in SERVICES}
    unreachable = run(framewise, "datasets", "list", extra={**closed, "FRAMEWISE_TIMEOUT_S": "5"})
    assert unreachable.returncode == 3, (unreachable.stdout, unreachable.stderr)
    assert unreachable.stderr.startswith("error: unavailable"), unreachable.stderr
    assert "Traceback" not in unreachable.stderr

    suite_env = {k: v for k, v in _isolated(suite.env).items() if k.startswith("FRAMEWISE_")}
    health = run(framewise, "--json", "health", extra=suite_env)
    assert health.returncode == 0, health.stderr
    assert {row["status"] for row in json.loads(health.stdout)} == {"SERVING"}
    datasets = run(framewise, "--json", "datasets", "list", extra=suite_env)
    assert datasets.returncode == 0, datasets.stderr
    assert isinstance(json.loads(datasets.stdout), list)
