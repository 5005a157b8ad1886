"""The metrics endpoint: counters by method and status code, latencies, stream messages."""

from __future__ import annotations

import asyncio
import logging
import socket
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from services.dataset.app import build_server as build_dataset
from services.interpolation.app import build_server as build_interpolation
from tests.support.services import running, test_config

DATASETS = "framewise.dataset.v1.DatasetService"


async def _scrape(port: int, path: str = "/metrics") -> str:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            assert reply.headers["Content-Type"].startswith("text/plain")
            return reply.read().decode()

    return await asyncio.to_thread(get)


def _value(text: str, sample_name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and all(
                    sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def test_the_endpoint_counts_calls_by_method_and_code(tmp_path: Path) -> None:
    config = replace(test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
                                 tmp_path), metrics_port=0)
    async with running(build_dataset, config) as (server, channel):
        assert server.metrics_port
        stub = dataset_pb2_grpc.DatasetServiceStub(channel)
        before = await _scrape(server.metrics_port)
        created = await stub.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
            name="cars", task_type=common_pb2.TASK_TYPE_BBOXES)))
        await stub.GetDataset(dpb.GetDatasetRequest(dataset_id=created.id))
        for _ in range(2):
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await stub.GetDataset(dpb.GetDatasetRequest(dataset_id="no-such-dataset"))
            assert error.value.code() == grpc.StatusCode.NOT_FOUND
        after = await _scrape(server.metrics_port)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    get = {"grpc_service": DATASETS, "grpc_method": "GetDataset", "grpc_type": "unary"}
    assert delta("grpc_server_handled_total", **get, grpc_code="OK") == 1
    assert delta("grpc_server_handled_total", **get, grpc_code="NOT_FOUND") == 2
    assert delta("grpc_server_started_total", **get) == 3
    assert delta("grpc_server_handling_seconds_count", **get) == 3
    assert delta("grpc_server_handled_total", grpc_service=DATASETS,
                 grpc_method="CreateDataset", grpc_code="OK") == 1
    assert 'grpc_server_handling_seconds_bucket{grpc_method="GetDataset"' in after


async def test_server_streams_count_their_messages(tmp_path: Path) -> None:
    config = replace(test_config("interpolation", "sqlite+aiosqlite:///unused", tmp_path,
                                 peers={"labeling": "127.0.0.1:1", "dataset": "127.0.0.1:1"}),
                     metrics_port=0)
    async with running(build_interpolation, config) as (server, channel):
        stub = interpolation_pb2_grpc.InterpolationServiceStub(channel)
        labels = {"grpc_service": "framewise.interpolation.v1.InterpolationService",
                  "grpc_method": "StreamFrameStates", "grpc_type": "server_stream"}
        before = await _scrape(server.metrics_port)
        request = pb.StreamFrameStatesRequest(inline=pb.InlineTracks(frame_count=3))
        replies = [reply async for reply in stub.StreamFrameStates(request)]
        bad = pb.StreamFrameStatesRequest(inline=pb.InlineTracks(frame_count=-1))
        with pytest.raises(grpc.aio.AioRpcError):
            _ = [reply async for reply in stub.StreamFrameStates(bad)]
        after = await _scrape(server.metrics_port)
    handled = "grpc_server_handled_total"
    assert (_value(after, handled, **labels, grpc_code="OK")
            - _value(before, handled, **labels, grpc_code="OK")) == 1
    assert (_value(after, handled, **labels, grpc_code="INVALID_ARGUMENT")
            - _value(before, handled, **labels, grpc_code="INVALID_ARGUMENT")) == 1
    assert (_value(after, "grpc_server_msg_sent_total", **labels)
            - _value(before, "grpc_server_msg_sent_total", **labels)) == len(replies) >= 1


async def test_a_stream_its_client_cancels_is_counted_cancelled_not_unknown(
        tmp_path: Path) -> None:
    config = replace(test_config("interpolation", "sqlite+aiosqlite:///unused", tmp_path,
                                 peers={"labeling": "127.0.0.1:1", "dataset": "127.0.0.1:1"}),
                     metrics_port=0)
    labels = {"grpc_service": "framewise.interpolation.v1.InterpolationService",
              "grpc_method": "StreamFrameStates", "grpc_type": "server_stream"}
    handled = "grpc_server_handled_total"
    track = pb.Track(track_id=1, category_id=1, geometry_type=common_pb2.GEOMETRY_TYPE_BBOX,
                     keyframes=[pb.Keyframe(frame=0, coordinates=[0, 0, 1, 1])])
    request = pb.StreamFrameStatesRequest(frames_per_message=1, inline=pb.InlineTracks(
        frame_count=1_000_000, tracks=[track]))
    async with running(build_interpolation, config) as (server, channel):
        stub = interpolation_pb2_grpc.InterpolationServiceStub(channel)
        call = stub.StreamFrameStates(request)
        await call.read()
        call.cancel()
        deadline = asyncio.get_running_loop().time() + 30
        while _value(await _scrape(server.metrics_port), handled, **labels,
                     grpc_code="CANCELLED") < 1:  # waits for the server to end the call
            assert asyncio.get_running_loop().time() < deadline, "the call never ended"
            await asyncio.sleep(0.05)
        after = await _scrape(server.metrics_port)
    assert _value(after, handled, **labels, grpc_code="UNKNOWN") == 0


async def test_other_paths_are_404_and_the_endpoint_closes_with_the_server(
        tmp_path: Path) -> None:
    config = replace(test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
                                 tmp_path), metrics_port=0)
    async with running(build_dataset, config) as (server, _):
        port = server.metrics_port
        with pytest.raises(urllib.error.HTTPError, match="404"):
            await _scrape(port, "/")
    with pytest.raises(urllib.error.URLError):
        await _scrape(port)


async def test_no_endpoint_when_off_and_a_taken_port_costs_only_the_metrics(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"
    async with running(build_dataset, replace(test_config("dataset", url, tmp_path),
                                              metrics_port=None)) as (server, _):
        assert server.metrics_port is None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = replace(test_config("dataset", url, tmp_path),
                         metrics_port=taken.getsockname()[1])
        async with running(build_dataset, config) as (server, channel):
            assert server.metrics_port is None
            stub = dataset_pb2_grpc.DatasetServiceStub(channel)
            reply = await stub.ListDatasets(dpb.ListDatasetsRequest())
            assert list(reply.datasets) == []


def test_the_metrics_port_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared import config

    monkeypatch.delenv("FRAMEWISE_LABELING_METRICS_PORT", raising=False)
    assert config.load("labeling").metrics_port is None  # `make run` sets 9092
    monkeypatch.setenv("FRAMEWISE_LABELING_METRICS_PORT", "off")
    assert config.load("labeling").metrics_port is None
    monkeypatch.setenv("FRAMEWISE_LABELING_METRICS_PORT", "9100")
    assert config.load("labeling").metrics_port == 9100
    monkeypatch.setenv("FRAMEWISE_LABELING_METRICS_PORT", "0")
    assert config.load("labeling").metrics_port == 0


async def test_an_access_line_per_call_with_the_request_id(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from shared.tracing import LogContextFilter

    caplog.handler.addFilter(LogContextFilter())
    caplog.set_level(logging.DEBUG, logger="framewise.access")
    config = test_config("dataset", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", tmp_path)
    async with running(build_dataset, config) as (_, channel):
        stub = dataset_pb2_grpc.DatasetServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.GetDataset(dpb.GetDatasetRequest(dataset_id="nope"),
                                  metadata=(("x-request-id", "req-7"),))
        await stub.ListDatasets(dpb.ListDatasetsRequest())
    lines = {r.method.rsplit("/", 1)[1]: r for r in caplog.records
             if r.name == "framewise.access" and r.method.startswith("/framewise.")}
    failed, listed = lines["GetDataset"], lines["ListDatasets"]
    assert (failed.levelno, failed.code, failed.request_id) == (logging.INFO, "NOT_FOUND",
                                                                "req-7")
    assert failed.duration_ms > 0 and failed.peer.startswith("ipv4:127.0.0.1:")
    assert len(failed.trace_id) == 32
    assert (listed.levelno, listed.code) == (logging.DEBUG, "OK")
    assert listed.request_id == listed.trace_id  # no x-request-id: the trace id
