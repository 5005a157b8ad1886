"""`framewise-all`: runs every service of the suite, each in its own process.

Each service gets its own port and database (SQLite files under FRAMEWISE_DATA_DIR by
default); the runner waits until each answers its health check, prints where it
listens, and on Ctrl-C (or SIGTERM) stops them all gracefully.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared import config as config_module
from shared.auth import AUTH_VARIABLES, DEFAULT_AUDIENCE, DEFAULT_ISSUER, mint
from shared.config import DEFAULT_METRICS_PORTS, SERVICES, env_prefix, service_address
from shared.tls import TlsConfig, tls_config

STARTUP_TIMEOUT_S = 60.0
DEV_TOKEN_TTL_S = 7 * 24 * 3600


def available_services() -> list[str]:
    """The services whose code is present, in dependency order."""
    root = Path(__file__).resolve().parents[1] / "services"
    return [s for s in SERVICES if (root / s / "app.py").is_file()]


def _channel(address: str, tls: TlsConfig | None) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(address)
    return grpc.secure_channel(address, tls.channel_credentials())


def _wait_serving(address: str, process: subprocess.Popen[bytes], deadline: float,
                  tls: TlsConfig | None = None) -> bool:
    with _channel(address, tls) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
            except grpc.RpcError:
                time.sleep(0.2)
    return False


def _metrics_note(service: str, env: dict[str, str]) -> str:
    port = env.get(f"{env_prefix(service)}_METRICS_PORT", "").strip()
    if not port.isdigit() or port == "0":
        return ""
    host = env.get(f"{env_prefix(service)}_HOST") or env.get("FRAMEWISE_HOST") or "127.0.0.1"
    return f", metrics on http://{host}:{port}/metrics"


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for name, process in processes.items():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it", file=sys.stderr)
            process.kill()


def _development_auth(env: dict[str, str], data_dir: Path) -> str:
    """Token verification for a local suite: the configured key, else a development secret
    kept in the data directory. With a secret at hand, writes a token for the development
    user to `<data dir>/dev-token` (clients and the CLI read it) and says so."""
    if not any(env.get(name, "").strip() for name in AUTH_VARIABLES):
        secret_file = data_dir / "dev-auth-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
            secret_file.chmod(0o600)
        env["FRAMEWISE_AUTH_HS256_SECRET_FILE"] = str(secret_file)
    secret = env.get("FRAMEWISE_AUTH_HS256_SECRET", "").strip()
    if not secret and env.get("FRAMEWISE_AUTH_HS256_SECRET_FILE", "").strip():
        secret = Path(env["FRAMEWISE_AUTH_HS256_SECRET_FILE"]).read_text().strip()
    if not secret:
        return "tokens: verified with the configured RS256 public key"
    user = env.get("FRAMEWISE_DEV_USER", "").strip() or "local"
    token = mint(user, secret=secret, ttl_s=DEV_TOKEN_TTL_S,
                 issuer=env.get("FRAMEWISE_AUTH_ISSUER", "").strip() or DEFAULT_ISSUER,
                 audience=env.get("FRAMEWISE_AUTH_AUDIENCE", "").strip() or DEFAULT_AUDIENCE)
    token_file = data_dir / "dev-token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    return (f"development token for user {user!r} (7 days; the SDK and CLI read it from "
            f"{token_file}):\n  export FRAMEWISE_TOKEN={token}")


def main() -> None:
    data_dir = config_module.data_dir().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(data_dir)}
    env.setdefault("FRAMEWISE_LOG_FORMAT", "text")
    token_note = _development_auth(env, data_dir)
    # Plaintext unless FRAMEWISE_TLS_* name certificates (then every service uses them).
    try:
        tls = tls_config(env)
    except ValueError as exc:
        sys.exit(f"framewise-all: bad configuration: {exc}")
    for name in SERVICES:  # Prometheus metrics on by default under `make run`
        env.setdefault(f"{env_prefix(name)}_METRICS_PORT", str(DEFAULT_METRICS_PORTS[name]))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for name in available_services():
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}.main"], env=env,
                cwd=Path(__file__).resolve().parents[1],
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for name, process in processes.items():
            address = service_address(name)
            if not _wait_serving(address, process, deadline, tls):
                print(f"{name} failed to start (see its log above)", file=sys.stderr)
                stopping = True
                break
            security = "" if tls is None else " (mutual TLS)" if tls.mutual else " (TLS)"
            print(f"framewise {name:<13} listening on {address}{security}"
                  f"{_metrics_note(name, env)}", flush=True)
        if not stopping:
            print(token_note, flush=True)
            print(f"data in {data_dir}; press Ctrl-C to stop", flush=True)
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        _stop(processes)
        print("framewise stopped", flush=True)
    failed = any(p.returncode not in (0, -signal.SIGTERM) for p in processes.values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
