"""Errors as named exceptions with their google.rpc details; configuration from the
environment (addresses, token, user, TLS); UNAVAILABLE after retries."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from framewise.client import (
    AlreadyExists,
    Client,
    ClientConfig,
    FailedPrecondition,
    FramewiseError,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from framewise.client.errors import from_rpc_error
from tests.sdk.conftest import unique


class _FakeCall(grpc.RpcError):
    """What a failed call looks like to the SDK: code, details, trailing metadata."""

    def __init__(self, code: grpc.StatusCode, message: str, *details: object) -> None:
        packed = []
        for detail in details:
            any_detail = any_pb2.Any()
            any_detail.Pack(detail)  # type: ignore[arg-type]
            packed.append(any_detail)
        status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message,
                                   details=packed)
        self._status = rpc_status.to_status(status)

    def code(self) -> grpc.StatusCode:
        return self._status.code

    def details(self) -> str:
        return self._status.details

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return self._status.trailing_metadata


@pytest.mark.parametrize(("code", "cls"), [
    (grpc.StatusCode.PERMISSION_DENIED, PermissionDenied),
    (grpc.StatusCode.UNAUTHENTICATED, Unauthenticated),
    (grpc.StatusCode.ALREADY_EXISTS, AlreadyExists),
    (grpc.StatusCode.FAILED_PRECONDITION, FailedPrecondition),
])
def test_codes_become_named_exceptions_with_their_error_info(code: grpc.StatusCode,
                                                             cls: type) -> None:
    info = error_details_pb2.ErrorInfo(reason="NO_ROLE", domain="framewise.dev",
                                       metadata={"dataset": "d1"})
    error = from_rpc_error(_FakeCall(code, "you may not", info))
    assert isinstance(error, cls) and isinstance(error, FramewiseError)
    assert (error.code, error.message, error.reason) == (code.name, "you may not", "NO_ROLE")
    assert error.metadata == {"dataset": "d1"} and error.details == [info]


def test_an_error_without_details_still_maps() -> None:
    class Bare(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.INTERNAL

        def details(self) -> str:
            return "boom"

        def trailing_metadata(self) -> None:
            return None

    error = from_rpc_error(Bare())
    assert (error.code, error.message, error.reason) == ("INTERNAL", "boom", "")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_service_is_unavailable_after_retries() -> None:
    address = f"127.0.0.1:{_closed_port()}"
    with Client(addresses={"dataset": address}, timeout=5) as fw:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            fw.get_dataset("00000000-0000-0000-0000-000000000000")
        assert time.monotonic() - started < 5
        assert fw.health()["dataset"] == "UNAVAILABLE"


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setenv("FRAMEWISE_LABELING_ADDRESS", "dns:///labeling.example:443")
    monkeypatch.setenv("FRAMEWISE_DATASET_PORT", "6001")
    monkeypatch.setenv("FRAMEWISE_TOKEN", "s3cret")
    ca = tmp_path / "ca.pem"
    ca.write_text("not really a certificate")
    monkeypatch.setenv("FRAMEWISE_TLS_CA", str(ca))
    config = ClientConfig.from_env()
    assert config.addresses["labeling"] == "dns:///labeling.example:443"
    assert config.addresses["dataset"] == "127.0.0.1:6001"
    assert config.metadata() == (("authorization", "Bearer s3cret"),)
    assert config.tls is not None and config.tls.ca_file == ca
    override = ClientConfig.from_env(addresses={"release": "r:1"}, token="", tls=False)
    assert override.addresses["release"] == "r:1" and override.tls is None
    assert override.metadata() == ()
    with pytest.raises(ValueError, match="unknown services"):
        ClientConfig.from_env(addresses={"billing": "x:1"})


def test_the_user_reaches_the_server(client: Client) -> None:
    assert client.add_dataset(unique("who"), "bboxes").owner == "local"
