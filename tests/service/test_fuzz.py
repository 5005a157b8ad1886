"""Random and adversarial requests to every RPC of the four services.

No call may answer UNKNOWN or INTERNAL, and a rejected call changes nothing that is
stored. Requests are built from the protos' descriptors by hypothesis (ids of real
resources mixed in, so calls get past NOT_FOUND), and raw garbage bytes are sent too.
The services run on a background event loop; the test is a plain blocking gRPC client.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2 as rpb
from framewise.release.v1 import release_pb2_grpc
from shared.auth_grpc import bearer_channel
from tests.service.release.helpers import bbox, suite_running
from tests.support.tokens import DEFAULT_USER, token_for

SERVICES = {
    "dataset": dpb.DESCRIPTOR.services_by_name["DatasetService"],
    "labeling": lpb.DESCRIPTOR.services_by_name["LabelingService"],
    "interpolation": ipb.DESCRIPTOR.services_by_name["InterpolationService"],
    "release": rpb.DESCRIPTOR.services_by_name["ReleaseService"],
}
FORBIDDEN = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
# Well-known types with maps or recursion: left unset (their parsing is protobuf's job).
SKIPPED_TYPES = {"google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.ListValue"}
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)


class Background:
    """An event loop on a thread, running the services for a blocking test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class World:
    """Channels to the suite, and real resources to aim at."""

    def __init__(self, addresses: dict[str, str]) -> None:
        token = token_for(DEFAULT_USER)
        self.channels = {name: bearer_channel(grpc.insecure_channel(address), token)
                         for name, address in addresses.items()}
        self.datasets = dataset_pb2_grpc.DatasetServiceStub(self.channels["dataset"])
        self.labels = labeling_pb2_grpc.LabelingServiceStub(self.channels["labeling"])
        self.releases = release_pb2_grpc.ReleaseServiceStub(self.channels["release"])
        self.ids: list[str] = []
        self.built = 0

    def build(self) -> None:
        self.built += 1
        dataset = self.datasets.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
            name=f"fuzz-{self.built}", task_type=common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE,
            task_attributes=dpb.TaskAttributes(categories=[dpb.Category(id=1, name="car")]))))
        frames = [{"image": {"url": f"u{i}"}, "timestamp": i} for i in range(4)]
        sample = self.datasets.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
            dataset_id=dataset.id, name="seq", attributes_json=json.dumps({"frames": frames}))))
        box = {**bbox(1), "track_id": 1, "is_keyframe": True}
        self.labels.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=sample.id, attributes_json=json.dumps({"format_version": "0.2", "frames": [
                {"annotations": [box]}, {"annotations": []}, {"annotations": []},
                {"annotations": []}]}))))
        release = self.releases.CreateRelease(rpb.CreateReleaseRequest(
            release=rpb.Release(dataset_id=dataset.id, name="v1")))
        self.dataset_id = dataset.id
        self.ids = [dataset.id, sample.id, release.id, "ground-truth"]

    def snapshot(self) -> tuple[Any, ...]:
        """What is stored, as the admin sees it; ("gone",) once a call that was allowed
        deleted the dataset or the admin's role on it."""
        try:
            return self._snapshot()
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return ("gone",)
            raise

    def _snapshot(self) -> tuple[Any, ...]:
        datasets = self.datasets.ListDatasets(dpb.ListDatasetsRequest(page_size=1000))
        samples = self.datasets.ListSamples(dpb.ListSamplesRequest(
            dataset_id=self.dataset_id, page_size=1000))
        labels = [(label.sample_id, label.revision) for page in self.labels.StreamLabels(
            lpb.StreamLabelsRequest(dataset_id=self.dataset_id)) for label in page.labels]
        sets = self.datasets.ListLabelSets(dpb.ListLabelSetsRequest(dataset_id=self.dataset_id))
        people = self.datasets.ListCollaborators(dpb.ListCollaboratorsRequest(
            dataset_id=self.dataset_id))
        releases = self.releases.ListReleases(rpb.ListReleasesRequest(dataset_id=self.dataset_id))
        return (sorted((d.id, d.etag) for d in datasets.datasets),
                sorted((s.id, s.etag) for s in samples.samples), sorted(labels),
                sorted(s.name for s in sets.label_sets),
                sorted((c.user, c.role) for c in people.collaborators),
                sorted(r.id for r in releases.releases))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp_path = tmp_path_factory.mktemp("fuzz")
    background = Background()
    context = suite_running(f"sqlite+aiosqlite:///{tmp_path / 'release.db'}", tmp_path)
    suite = background.run(context.__aenter__())
    try:
        addresses = dict(suite.release_config.peers)
        addresses["release"] = f"127.0.0.1:{suite.release_server.port}"
        world = World(addresses)
        yield world
        for channel in world.channels.values():
            channel.close()
    finally:
        background.run(context.__aexit__(None, None, None))
        background.close()


def _value(field: FieldDescriptor, depth: int, ids: list[str]) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return st.one_of(st.sampled_from([*ids, "", "{}", "[]", '{"frames": []}', "*"]), TEXT)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=30)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    if kind == FieldDescriptor.TYPE_ENUM:
        return st.integers(0, 20)
    if kind == FieldDescriptor.TYPE_MESSAGE:
        return message_of(field.message_type, depth + 1, ids)
    if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if kind in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64,
                FieldDescriptor.TYPE_SFIXED64):
        return st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-3, 5000))
    return st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(-3, 5000))


def message_of(descriptor: Descriptor, depth: int, ids: list[str]) -> st.SearchStrategy[Any]:
    """Messages of `descriptor` with random fields set (a few levels deep)."""
    cls = GetMessageClass(descriptor)
    if depth > 3 or descriptor.full_name in SKIPPED_TYPES:
        return st.just(cls())
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        value = _value(field, depth, ids)
        if field.is_repeated:
            value = st.lists(value, max_size=3)
        fields[field.name] = st.one_of(st.none(), value)

    def build(values: dict[str, Any]) -> Message:
        message = cls()
        for name, value in values.items():
            if value is None:
                continue
            field = descriptor.fields_by_name[name]
            target = getattr(message, name)
            if field.is_repeated:
                if field.message_type is not None:
                    for item in value:
                        target.add().CopyFrom(item)
                else:
                    target.extend(value)
            elif field.message_type is not None:
                target.CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return st.fixed_dictionaries(fields).map(build)


def _call(world: World, service: str, method: MethodDescriptor,
          serializer: Callable[[Any], bytes] | None, request: Any) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    channel = world.channels[service]
    try:
        if method.server_streaming:
            call = channel.unary_stream(path, request_serializer=serializer)
            for _ in call(request, timeout=30):
                pass
        else:
            channel.unary_unary(path, request_serializer=serializer)(request, timeout=30)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


METHODS = [(service, method) for service, descriptor in SERVICES.items()
           for method in descriptor.methods]


@pytest.mark.parametrize(("service", "method"), METHODS,
                         ids=[f"{s}.{m.name}" for s, m in METHODS])
def test_random_requests_never_fail_unknown_and_rejected_ones_change_nothing(
        world: World, service: str, method: MethodDescriptor) -> None:
    world.build()  # fresh resources: the previous method may have deleted them
    strategy = message_of(method.input_type, 0, world.ids)

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=strategy)
    def check(request: Message) -> None:
        before = world.snapshot()
        code = _call(world, service, method, lambda m: m.SerializeToString(), request)
        assert code not in FORBIDDEN, f"{method.name}({request}) -> {code.name}"
        if code != grpc.StatusCode.OK:
            assert world.snapshot() == before, f"{method.name}({request}) changed data"

    check()


@pytest.mark.parametrize(("service", "method"), METHODS,
                         ids=[f"{s}.{m.name}" for s, m in METHODS])
def test_garbage_bytes_are_invalid_argument(world: World, service: str,
                                            method: MethodDescriptor) -> None:
    for garbage in (b"\xff\xff\xff", b"\x0a\xff", b"\x08" * 11, b"\x12\x05ab"):
        code = _call(world, service, method, None, garbage)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (method.name, garbage, code)


def test_the_world_is_real(world: World) -> None:
    world.build()
    assert len(world.snapshot()[1]) == 1  # one sample, as built
