"""The suite as a user runs it: `framewise-all` (what `make run` starts), then a client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from shared.runner import available_services

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listed(address: str) -> set[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        return {s.name for s in next(replies).list_services_response.service}


def test_the_suite_starts_answers_and_stops_cleanly(tmp_path: Path) -> None:
    services = available_services()
    ports = {name: _free_port() for name in services}
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(tmp_path / "data")}
    for name, port in ports.items():
        env[f"FRAMEWISE_{name.upper()}_PORT"] = str(port)
    suite = subprocess.Popen([sys.executable, "-m", "shared.runner"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while not any("press Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            line = suite.stdout.readline()
            assert line or suite.poll() is None, "".join(lines)
            lines.append(line)
        for name, port in ports.items():
            address = f"127.0.0.1:{port}"
            assert any(f"framewise {name}" in x and address in x for x in lines), lines
            with grpc.insecure_channel(address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            assert any(s.startswith(f"framewise.{name}.v1.") for s in _listed(address))
        assert any("export FRAMEWISE_TOKEN=" in line for line in lines), lines
        assert (tmp_path / "data" / "dev-token").exists()
        walkthrough = subprocess.run(
            [sys.executable, "examples/quickstart.py"], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=60)
        assert walkthrough.returncode == 0, walkthrough.stderr
        assert "with 50 frames" in walkthrough.stdout
        assert (tmp_path / "data" / "dataset.db").exists()
    finally:
        suite.send_signal(signal.SIGINT)
        remaining, _ = suite.communicate(timeout=60)
    assert suite.returncode == 0, remaining
    assert "framewise stopped" in remaining
