"""TLS on the gRPC port when certificates are configured, mutual TLS between services, and
the plaintext probe port that Kubernetes' gRPC probes use."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from framewise.client import AsyncClient, TlsConfig
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from services.dataset.app import build_server as build_dataset
from services.labeling.app import build_server as build_labeling
from shared.tls import TLS_CA, TLS_CERT, TLS_KEY, tls_config
from tests.service.labeling.helpers import Stack, as_user
from tests.support.certificates import CertificateAuthority
from tests.support.databases import database_url
from tests.support.services import running, test_config
from tests.support.tokens import TEST_SECRET, token_for

ROOT = Path(__file__).resolve().parents[2]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


async def _health(channel: grpc.aio.Channel) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                            timeout=5)
    return reply.status


async def _refused(channel: grpc.aio.Channel) -> grpc.StatusCode:
    """The code of a health check on `channel` (which must fail), the channel closed."""
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _health(channel)
        return caught.value.code()
    finally:
        await channel.close()


def _tls_channel(port: int, ca: Path, cert: Path | None = None,
                 key: Path | None = None) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        ca.read_bytes(), key.read_bytes() if key else None, cert.read_bytes() if cert else None)
    return grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials)


async def test_labeling_calls_dataset_over_mutual_tls_and_the_sdk_connects_with_tls(
        ca: CertificateAuthority, db_kind: str, db_url: str, tmp_path: Path) -> None:
    services = ca.issue("services")  # one certificate for the suite, as in deploy/
    async with (
        database_url(db_kind, tmp_path, "dataset") as dataset_url,
        running(build_dataset, replace(test_config("dataset", dataset_url, tmp_path),
                                       tls=services.tls())) as (dataset, dataset_channel),
    ):
        config = test_config("labeling", db_url, tmp_path,
                             peers={"dataset": f"127.0.0.1:{dataset.port}"})
        async with running(build_labeling, replace(config, tls=services.tls())) as (
                labeling, labeling_channel):
            stack = Stack(dataset_pb2_grpc.DatasetServiceStub(dataset_channel),
                          labeling_pb2_grpc.LabelingServiceStub(labeling_channel))
            created = await stack.create_dataset(name="tls")
            [sample] = await stack.create_samples(created)
            # Both calls make labeling call dataset (the sample, the caller's role).
            saved = await stack.save(sample.id, {"annotations": []})
            read = await stack.labeling.GetLabel(lpb.GetLabelRequest(sample_id=sample.id),
                                                 metadata=as_user("alice"))
            assert read.etag == saved.etag

            client = ca.issue("alice-laptop", server=False)
            addresses = {"dataset": f"127.0.0.1:{dataset.port}",
                         "labeling": f"127.0.0.1:{labeling.port}"}
            tls = TlsConfig(ca_file=client.ca, cert_file=client.cert, key_file=client.key)
            async with AsyncClient(addresses=addresses, token=token_for("alice"),
                                   tls=tls) as fw:
                label = await fw.get_label(sample.id)
                assert label.etag == saved.etag


async def test_mutual_tls_refuses_whoever_has_no_certificate_of_the_ca(
        ca: CertificateAuthority, tmp_path: Path) -> None:
    server_cert = ca.issue("dataset")
    client = ca.issue("client", server=False)
    stranger = CertificateAuthority(tmp_path, "other-ca").issue("client", server=False)
    config = replace(test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
                                 tmp_path), tls=server_cert.tls(), probe_port=0)
    async with running(build_dataset, config) as (server, channel):
        # The suite's own channel (the service's certificate) and a client's certificate.
        stub = dataset_pb2_grpc.DatasetServiceStub(channel)
        await stub.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
            name="secret", task_type=1)))
        trusted = _tls_channel(server.port, client.ca, client.cert, client.key)
        assert await _health(trusted) == SERVING
        await trusted.close()

        port = server.port
        assert await _refused(grpc.aio.insecure_channel(f"127.0.0.1:{port}")) == UNAVAILABLE
        assert await _refused(_tls_channel(port, client.ca)) == UNAVAILABLE  # no client cert
        assert await _refused(_tls_channel(port, client.ca, stranger.cert,
                                           stranger.key)) == UNAVAILABLE
        # The other way round: a server the client's CA did not sign.
        assert await _refused(_tls_channel(port, stranger.ca, client.cert,
                                           client.key)) == UNAVAILABLE

        # The probe port: plaintext, health only (no way around TLS to the API).
        probe = grpc.aio.insecure_channel(f"127.0.0.1:{server.probe_port}")
        assert await _health(probe) == SERVING
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await dataset_pb2_grpc.DatasetServiceStub(probe).ListDatasets(
                dpb.ListDatasetsRequest(), metadata=(("authorization", "Bearer x"),))
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        await probe.close()


async def test_tls_without_a_ca_serves_clients_without_certificates(
        ca: CertificateAuthority, tmp_path: Path) -> None:
    config = replace(test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
                                 tmp_path), tls=ca.issue("dataset").tls(mutual=False))
    async with running(build_dataset, config) as (server, _):
        channel = _tls_channel(server.port, ca.ca)
        assert await _health(channel) == SERVING
        await channel.close()
        assert await _refused(grpc.aio.insecure_channel(
            f"127.0.0.1:{server.port}")) == UNAVAILABLE


def test_bad_tls_settings_name_the_variable(ca: CertificateAuthority, tmp_path: Path) -> None:
    issued, other = ca.issue("a"), ca.issue("b")
    cases = {
        TLS_KEY: {TLS_CERT: str(issued.cert)},
        TLS_CERT: {TLS_KEY: str(issued.key)},
        f"{TLS_CA} is set": {TLS_CA: str(issued.ca)},
        f"{TLS_CA}: cannot read": {TLS_CERT: str(issued.cert), TLS_KEY: str(issued.key),
                                   TLS_CA: str(tmp_path / "missing.crt")},
        f"{TLS_CERT}: the file holds no PEM": {TLS_CERT: str(issued.key),
                                               TLS_KEY: str(issued.key)},
        f"{TLS_KEY} is not the key": {TLS_CERT: str(issued.cert), TLS_KEY: str(other.key)},
    }
    for expected, environ in cases.items():
        with pytest.raises(ValueError, match=expected):
            tls_config(environ)
    # A service process refuses to start, with one line naming the variable.
    env = {**os.environ, "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET,
           "FRAMEWISE_DATA_DIR": str(tmp_path), TLS_CERT: str(issued.cert)}
    env.pop(TLS_KEY, None)
    done = subprocess.run([sys.executable, "-m", "services.dataset.main"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{TLS_CERT} is set but {TLS_KEY} is not" in done.stderr
    assert "Traceback" not in done.stderr
