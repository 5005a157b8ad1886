"""Services as real OS processes, to kill (SIGKILL) and restart on the same port and database.

`ProcessSuite` runs `python -m services.<name>.main` for each service, each on a fixed
free port and its own database, pointed at the others, verifying the tests' tokens
(tests/support/tokens.py). A killed service comes back with `restart(name)`: same port,
same database, same peers, so the processes that call it (and test clients) find it
again by themselves. The processes are synchronous resources, independent of any event
loop, so one suite can serve every test of a module; test clients open their channels
(`channel(name)`) inside their own loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.channels import aio_channel
from shared.config import SERVICES
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_url,
)
from tests.support.tokens import TEST_SECRET, test_interceptors

ROOT = Path(__file__).resolve().parents[2]
DATABASE_SERVICES = ("dataset", "labeling", "release")
STARTUP_TIMEOUT_S = 120.0  # a loaded 2-core machine imports the service stack slowly


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _base_environment() -> dict[str, str]:
    """This environment without any Framewise or tracing setting: a test decides them all."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("FRAMEWISE_", "OTEL_"))}


class ServiceProcess:
    """One service's process; its log (stdout and stderr) goes to a file, never a pipe."""

    def __init__(self, name: str, port: int, env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.port = port
        self.env = dict(env)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        assert not self.alive(), f"{self.name} is already running"
        with self.log.open("a") as sink:
            sink.write(f"--- starting {self.name} on {self.address}\n")
            sink.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}.main"], cwd=ROOT, env=self.env,
                stdout=sink, stderr=subprocess.STDOUT)

    def wait_serving(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        with grpc.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n"
                                         f"{self.tail()}")
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} not serving after {timeout_s:.0f} s:\n"
                                         f"{self.tail()}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no graceful stop, no lease given up, nothing flushed."""
        assert self.process is not None and self.alive(), f"{self.name} is not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def pause(self) -> None:
        """SIGSTOP: the process keeps its port (connections are accepted by the kernel)
        but answers nothing, as a wedged process would."""
        assert self.process is not None and self.alive(), f"{self.name} is not running"
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)  # a paused process would not stop
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class ProcessSuite:
    """The named services as processes on free ports; each database-owning service on its
    own database (`database_urls`, default: a SQLite file under `directory`)."""

    def __init__(self, directory: Path, names: tuple[str, ...] = SERVICES,
                 database_urls: Mapping[str, str] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        # Builds' scratch files here, not in the system's temp dir: a killed build's stay.
        self.release_work_dir = directory / "release-work"
        self.release_work_dir.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in names}
        common = {
            **_base_environment(),
            "FRAMEWISE_DATA_DIR": str(directory),
            "FRAMEWISE_LOG_LEVEL": "WARNING",
            "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET,
            "FRAMEWISE_GRACE_PERIOD_S": "1",
            "PYTHONPATH": str(ROOT),
            "FRAMEWISE_RELEASE_WORK_DIR": str(self.release_work_dir),
            **{f"FRAMEWISE_{n.upper()}_ADDRESS": f"127.0.0.1:{p}" for n, p in ports.items()},
            **(env or {}),
        }
        urls = dict(database_urls or {})
        self.services: dict[str, ServiceProcess] = {}
        for name, port in ports.items():
            own = {f"FRAMEWISE_{name.upper()}_PORT": str(port)}
            if name in urls:
                own[f"FRAMEWISE_{name.upper()}_DATABASE_URL"] = urls[name]
            self.services[name] = ServiceProcess(name, port, {**common, **own},
                                                 directory / f"{name}.log")

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def address(self, name: str) -> str:
        return self.services[name].address

    def start(self) -> None:
        """Starts every service at once (they import in parallel), then waits for each."""
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_serving()

    def kill(self, name: str) -> None:
        self.services[name].kill()

    def restart(self, name: str) -> None:
        """Starts a (killed or stopped) service again on the same port and database."""
        service = self.services[name]
        service.start()
        service.wait_serving()

    def ensure_running(self) -> None:
        """Restarts (or resumes) whatever a previous test left dead or paused: a failed
        test must not fail the next."""
        for name, service in self.services.items():
            if service.alive():
                service.resume()
            else:
                self.restart(name)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()

    def channel(self, name: str) -> grpc.aio.Channel:
        """A channel to a service, as the services' own (retries for UNAVAILABLE), whose
        calls carry a test token for the user named by `as_user` (tests.support.tokens)."""
        return aio_channel(self.address(name), test_interceptors())

    def logs(self) -> str:
        return "\n".join(f"== {name}\n{service.tail()}" for name, service in self.services.items())


async def ready(channel: grpc.aio.Channel, timeout_s: float = 60.0) -> None:
    """Waits until a client channel is connected again (a channel whose server was killed
    waits out its reconnect backoff first; calls made meanwhile fail fast UNAVAILABLE)."""
    await asyncio.wait_for(channel.channel_ready(), timeout_s)


def _postgres_database(stack: ExitStack) -> str:
    """A fresh PostgreSQL database for a service, dropped when `stack` closes. Each step
    runs in an event loop of its own: no loop is running where processes are managed."""
    name = asyncio.run(create_postgres_database())
    stack.callback(lambda: asyncio.run(drop_postgres_database(name)))
    return postgres_url(name)


@contextmanager
def process_suite(kind: str, directory: Path, names: tuple[str, ...] = SERVICES,
                  env: Mapping[str, str] | None = None) -> Iterator[ProcessSuite]:
    """A started ProcessSuite on `kind` ("sqlite" or "postgres": a fresh PostgreSQL
    database per database-owning service; skipped where PostgreSQL is unreachable, unless
    FRAMEWISE_REQUIRE_POSTGRES), stopped afterwards."""
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        if kind == "postgres":
            for name in names:
                if name in DATABASE_SERVICES:
                    urls[name] = _postgres_database(stack)
        directory.mkdir(parents=True, exist_ok=True)
        suite = ProcessSuite(directory, names, urls, env)
        stack.callback(suite.stop)
        suite.start()
        yield suite
