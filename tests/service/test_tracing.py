"""Trace context crosses the suite: a `traceparent` sent to the interpolation service (a
stored label, so it calls labeling and dataset) reaches the labeling and dataset servers,
with the caller's request id."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from services.dataset.app import build_server as build_dataset
from services.interpolation.app import build_server as build_interpolation
from services.labeling.app import build_server as build_labeling
from shared import tracing
from tests.support.databases import database_url
from tests.support.services import running, test_config

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        pytest.skip("OTEL_SDK_DISABLED=true: no spans are recorded")
    tracing.setup("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    processor.shutdown()  # later spans of this process are dropped, not kept in memory


def _server_spans(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans()
            if s.name == name and s.kind == trace.SpanKind.SERVER]


def _hex(number: int, width: int) -> str:
    return format(number, f"0{width}x")


async def test_trace_context_reaches_the_labeling_and_dataset_servers(
        spans: InMemorySpanExporter, tmp_path: Path) -> None:
    async with (
        database_url("sqlite", tmp_path, "dataset") as dataset_url,
        database_url("sqlite", tmp_path, "labeling") as labeling_url,
        running(build_dataset, test_config("dataset", dataset_url, tmp_path)) as (ds, ds_ch),
    ):
        dataset_address = f"127.0.0.1:{ds.port}"
        labeling_config = test_config("labeling", labeling_url, tmp_path,
                                      peers={"dataset": dataset_address})
        async with running(build_labeling, labeling_config) as (lb, lb_ch):
            config = test_config("interpolation", "sqlite+aiosqlite:///unused", tmp_path,
                                 peers={"dataset": dataset_address,
                                        "labeling": f"127.0.0.1:{lb.port}"})
            async with running(build_interpolation, config) as (_, ip_ch):
                datasets = dataset_pb2_grpc.DatasetServiceStub(ds_ch)
                labels = labeling_pb2_grpc.LabelingServiceStub(lb_ch)
                interpolation = interpolation_pb2_grpc.InterpolationServiceStub(ip_ch)
                dataset = await datasets.CreateDataset(dpb.CreateDatasetRequest(
                    dataset=dpb.Dataset(
                        name="drives", task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
                        task_attributes=dpb.TaskAttributes(
                            categories=[dpb.Category(id=1, name="car")]))))
                frames = [{"image": {"url": f"u{i}"}} for i in range(4)]
                sample = await datasets.CreateSample(dpb.CreateSampleRequest(
                    sample=dpb.Sample(dataset_id=dataset.id, name="seq",
                                      attributes_json=json.dumps({"frames": frames}))))
                box = {"id": 1, "track_id": 1, "category_id": 1, "type": "bbox",
                       "points": [[0, 0], [10, 10]], "is_keyframe": True}
                label = {"format_version": "0.2",
                         "frames": [{"annotations": [box]}] + [{"annotations": []}] * 3}
                await labels.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
                    sample_id=sample.id, attributes_json=json.dumps(label))))
                spans.clear()

                metadata = (("traceparent", TRACEPARENT), ("x-request-id", "req-42"))
                states = [frame async for reply in interpolation.StreamFrameStates(
                    pb.StreamFrameStatesRequest(stored_label=pb.StoredLabel(
                        sample_id=sample.id)), metadata=metadata) for frame in reply.frames]
                assert len(states) == 4

    [served] = _server_spans(
        spans, "framewise.interpolation.v1.InterpolationService/StreamFrameStates")
    get_label = _server_spans(spans, "framewise.labeling.v1.LabelingService/GetLabel")
    get_dataset = _server_spans(spans, "framewise.dataset.v1.DatasetService/GetDataset")
    assert get_label and get_dataset
    for span in [served, *get_label, *get_dataset]:
        assert _hex(span.context.trace_id, 32) == TRACE_ID
        assert span.attributes["framewise.request_id"] == "req-42"
        assert span.attributes["rpc.grpc.status_code"] == 0
    # The interpolation call is the child of the caller's span; its calls are its children.
    assert _hex(served.parent.span_id, 16) == PARENT_SPAN_ID
    assert served.parent.is_remote
    assert any(s.parent.span_id == served.context.span_id for s in get_label)
    assert any(s.parent.span_id == served.context.span_id for s in get_dataset)


async def test_a_call_without_trace_context_starts_a_trace_and_fails_visibly(
        spans: InMemorySpanExporter, tmp_path: Path) -> None:
    async with (
        database_url("sqlite", tmp_path, "dataset") as dataset_url,
        running(build_dataset, test_config("dataset", dataset_url, tmp_path)) as (_, channel),
    ):
        datasets = dataset_pb2_grpc.DatasetServiceStub(channel)
        with pytest.raises(Exception, match="NOT_FOUND"):
            await datasets.GetDataset(dpb.GetDatasetRequest(dataset_id="nope"))
    [span] = _server_spans(spans, "framewise.dataset.v1.DatasetService/GetDataset")
    assert span.parent is None
    assert span.attributes["rpc.grpc.status_code"] == 5
    assert span.status.status_code == trace.StatusCode.ERROR
    # No x-request-id: the trace id is the request id.
    assert span.attributes["framewise.request_id"] == _hex(span.context.trace_id, 32)


def test_outgoing_metadata_keeps_what_the_caller_sent() -> None:
    assert tracing.outgoing_metadata([("x-request-note", "ann")]) == [
        ("x-request-note", "ann")]


async def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(tmp_path: Path) -> None:
    """A service process with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans to a collector
    (here a fake one), with its service name and the caller's trace id."""
    import signal
    import sys

    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc

    from shared.channels import aio_channel
    from tests.e2e.test_make_run import ROOT, _free_port
    from tests.support.tokens import TEST_SECRET, bearer

    received: list[otlp.ExportTraceServiceRequest] = []

    class Collector(otlp_grpc.TraceServiceServicer):
        async def Export(self, request, context):
            received.append(request)
            return otlp.ExportTraceServiceResponse()

    collector = grpc.aio.server()
    otlp_grpc.add_TraceServiceServicer_to_server(Collector(), collector)
    collector_port = collector.add_insecure_port("127.0.0.1:0")
    await collector.start()
    port = _free_port()
    env = {**os.environ, "FRAMEWISE_INTERPOLATION_PORT": str(port),
           "FRAMEWISE_DATA_DIR": str(tmp_path),
           "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector_port}",
           "OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_BSP_SCHEDULE_DELAY": "100",
           "FRAMEWISE_GRACE_PERIOD_S": "0", "FRAMEWISE_AUTH_HS256_SECRET": TEST_SECRET}
    env.pop("OTEL_SDK_DISABLED", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.interpolation.main", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async with aio_channel(f"127.0.0.1:{port}") as channel:
            stub = interpolation_pb2_grpc.InterpolationServiceStub(channel)
            request = pb.StreamFrameStatesRequest(inline=pb.InlineTracks(frame_count=2))
            metadata = (("traceparent", TRACEPARENT), bearer("tracer"))
            await _serving(port, process)
            replies = stub.StreamFrameStates(request, metadata=metadata, timeout=30)
            assert [f.frame async for r in replies for f in r.frames] == [0, 1]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        await collector.stop(0)
    spans = [(resource, span) for export in received for resource in export.resource_spans
             for scope in resource.scope_spans for span in scope.spans]
    assert spans, stderr.decode()
    names = {span.name: (resource, span) for resource, span in spans}
    resource, span = names["framewise.interpolation.v1.InterpolationService/StreamFrameStates"]
    assert span.trace_id.hex() == TRACE_ID
    service_names = [a.value.string_value for a in resource.resource.attributes
                     if a.key == "service.name"]
    assert service_names == ["framewise-interpolation"]


async def _serving(port: int, process: asyncio.subprocess.Process) -> None:
    """Waits until the service process answers its health check (or fails if it exits)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(300):
            assert process.returncode is None, "the service process exited"
            try:
                await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                return
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.1)
        raise AssertionError("the service did not start")
