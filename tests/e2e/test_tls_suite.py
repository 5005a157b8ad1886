"""The whole suite with certificates in FRAMEWISE_TLS_* (`make run` passes them to every
service): each service serves mutual TLS, and the SDK and the CLI reach them with a
client certificate, the CLI through its --tls-* options."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from framewise.client import Client, TlsConfig
from shared.runner import available_services
from shared.tls import TLS_CA, TLS_CERT, TLS_KEY
from tests.support.certificates import CertificateAuthority
from tests.support.tokens import TEST_SECRET, token_for

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_service_serves_mutual_tls_and_clients_reach_them(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    services, client = ca.issue("services"), ca.issue("cli", server=False)
    addresses = {name: f"127.0.0.1:{_free_port()}" for name in available_services()}
    env = {**os.environ, "FRAMEWISE_DATA_DIR": str(tmp_path / "data"),
           "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET, TLS_CERT: str(services.cert),
           TLS_KEY: str(services.key), TLS_CA: str(services.ca)}
    for name, address in addresses.items():
        env[f"FRAMEWISE_{name.upper()}_PORT"] = address.rsplit(":", 1)[1]
        env[f"FRAMEWISE_{name.upper()}_METRICS_PORT"] = "off"
    log = tmp_path / "suite.log"
    with log.open("w") as sink:  # a file, never a pipe nobody reads
        suite = subprocess.Popen([sys.executable, "-m", "shared.runner"], cwd=ROOT, env=env,
                                 stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "press Ctrl-C" not in log.read_text():
            assert suite.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        listening = [line for line in log.read_text().splitlines()
                     if line.startswith("framewise ") and "listening on" in line]
        assert [line.endswith("(mutual TLS)") for line in listening] == [True] * len(
            addresses), log.read_text()

        tls = TlsConfig(ca_file=client.ca, cert_file=client.cert, key_file=client.key)
        with Client(addresses=addresses, token=token_for("local"), tls=tls) as fw:
            assert set(fw.health().values()) == {"SERVING"}

        # The CLI, with TLS from its options only.
        cli_env = {key: value for key, value in env.items() if not key.startswith(
            "FRAMEWISE_TLS")}
        cli_env.update({f"FRAMEWISE_{n.upper()}_ADDRESS": a for n, a in addresses.items()})
        done = subprocess.run(
            [sys.executable, "-m", "framewise.client.cli", "--tls-ca", str(client.ca),
             "--tls-cert", str(client.cert), "--tls-key", str(client.key), "health"],
            cwd=ROOT, env=cli_env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count("SERVING") == len(addresses), done.stdout
    finally:
        suite.send_signal(signal.SIGINT)
        suite.wait(timeout=60)
    assert suite.returncode == 0, log.read_text()
