"""The suite as a user runs it (`python -m shared.runner`, what `make run` starts), started
once for every SDK and CLI test, on free ports and a temporary data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from framewise.client import Client
from shared.runner import available_services
from tests.support.tokens import TEST_SECRET, token_for

ROOT = Path(__file__).resolve().parents[2]
HAS_RELEASE = (ROOT / "services" / "release" / "app.py").is_file()
needs_release = pytest.mark.skipif(
    not HAS_RELEASE, reason="services/release/app.py is not there yet: no release service")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Suite:
    addresses: dict[str, str]
    env: dict[str, str]  # FRAMEWISE_* for a client process (the CLI)
    log: Path


@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    base = tmp_path_factory.mktemp("suite")
    ports = {name: _free_port() for name in available_services()}
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(base / "data"),
           "FRAMEWISE_LOG_LEVEL": "WARNING", "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET}
    for name, port in ports.items():
        env[f"FRAMEWISE_{name.upper()}_PORT"] = str(port)
        env.pop(f"FRAMEWISE_{name.upper()}_ADDRESS", None)
    log = base / "suite.log"
    # Output goes to a file, never a pipe nobody reads (a full pipe would stall it).
    with log.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "shared.runner"], cwd=ROOT, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "press Ctrl-C" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        addresses = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
        client_env = {**env, **{f"FRAMEWISE_{n.upper()}_ADDRESS": a
                                for n, a in addresses.items()}}
        client_env.pop("FRAMEWISE_TOKEN", None)
        yield Suite(addresses=addresses, env=client_env, log=log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def client(suite: Suite) -> Iterator[Client]:
    # The same user as the CLI, which uses the development token `make run` writes.
    with Client(addresses=suite.addresses, token=token_for("local")) as fw:
        yield fw


@pytest.fixture
def cli_env(suite: Suite, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The suite's addresses in this process's environment, for `cli.main([...])`."""
    for key, value in suite.env.items():
        if key.startswith("FRAMEWISE_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("FRAMEWISE_TOKEN", raising=False)
    return suite.env


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


BOX_CATEGORIES = {"categories": [
    {"id": 1, "name": "car", "color": "#ff0000",
     "attributes": [{"name": "occluded", "input_type": "checkbox"}]},
    {"id": 2, "name": "person"},
]}


def bbox(track_id: int, x: float, *, keyframe: bool = True) -> dict[str, object]:
    return {"id": track_id, "track_id": track_id, "is_keyframe": keyframe, "category_id": 1,
            "type": "bbox", "points": [[x, 0.0], [x + 10.0, 10.0]]}


def sequence_label(frame_count: int, keyframes: dict[int, list[dict[str, object]]]
                   ) -> dict[str, object]:
    return {"format_version": "0.2",
            "frames": [{"annotations": keyframes.get(i, [])} for i in range(frame_count)]}


def frames(count: int, prefix: str = "https://example.com/f") -> list[dict[str, object]]:
    return [{"image": {"url": f"{prefix}/{i:04d}.jpg"}, "name": f"{i:04d}",
             "timestamp": i * 0.1} for i in range(count)]
