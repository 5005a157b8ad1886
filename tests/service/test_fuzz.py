"""Random and adversarial requests to every RPC of the four services, on SQLite and on
PostgreSQL.

No call may answer UNKNOWN or INTERNAL, a rejected call changes nothing that is stored
(read back), and after each method's examples every listing and every read of the
dataset still succeed and a release of it still builds: no call may poison a dataset.
Requests are built from the protos' descriptors by hypothesis: ids of real resources
mixed in so calls get past NOT_FOUND, and among the values the hostile ones of issue #12
(NUL, control and bidi characters, blank names, JSON with unpaired surrogate escapes,
NaN, Infinity, huge numbers and deep nesting, forged page tokens, non-finite doubles,
unknown enum values). Raw garbage bytes are sent too. The services run on a background
event loop; the test is a plain blocking gRPC client.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2, struct_pb2
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
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_url,
)
from tests.support.tokens import DEFAULT_USER, token_for

# About two minutes on both databases: with the slow tests (`make test`), not `test-fast`.
pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

SERVICES = {
    "dataset": dpb.DESCRIPTOR.services_by_name["DatasetService"],
    "labeling": lpb.DESCRIPTOR.services_by_name["LabelingService"],
    "interpolation": ipb.DESCRIPTOR.services_by_name["InterpolationService"],
    "release": rpb.DESCRIPTOR.services_by_name["ReleaseService"],
}
FORBIDDEN = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
# Well-known types with maps or recursion: built by `_json_value`, not field by field.
SKIPPED_TYPES = {"google.protobuf.Struct", "google.protobuf.ListValue"}
# Protobuf strings are UTF-8: no surrogate reaches a server in one (they come in JSON).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
HOSTILE_TEXT = st.sampled_from([
    "\x00", "a\x00b", " ", "   ", "\t", "\n", "line\nbreak", "evil\u202egnp.jpg",
    "x\u2066y", "\x07", "\x1b[31m", "\ufeff", "\U0001d54f", "x" * 5000, "..", "/", "%00",
])
# JSON leaves and keys no database stores alike or strict readers refuse.
HOSTILE_LEAVES = ['"\\ud800"', '"\\udfff"', '"a\\u0000b"', "NaN", "Infinity", "-Infinity",
                  "1e999", "-1E+400", "1" + "0" * 40, "-" + "9" * 25, "1e-999", "-0.0",
                  '"' + "x" * 5000 + '"', "true", "null", "0", "1.5", '"ok"', "[]", "{}"]
HOSTILE_KEYS = ['"\\ud800"', '"\\u0000"', '""', '"a"', '"frames"', '"image"', '"url"',
                '"annotations"', '"id"', '"points"', '"track_id"', '"attributes"']
# Documents of the shapes the services read, each with one hostile leaf (%s) or key (%k).
TEMPLATES = [
    '{"image": {"url": %s}}',
    '{"image": {"url": "u", "width": %s, "height": 10}}',
    '{"frames": [{"image": {"url": "u"}, "timestamp": %s, "name": "f"}]}',
    '{"frames": [{"image": {"url": %s}}]}',
    '{"annotations": [{"id": %s, "category_id": 1, "type": "bbox", '
    '"points": [[0, 0], [1, 1]]}]}',
    '{"annotations": [{"id": 1, "category_id": 1, "type": "bbox", '
    '"points": [[0, %s], [1, 1]], "attributes": {%k: 1}}]}',
    '{"format_version": %s, "frames": [{"annotations": []}]}',
    '{"format_version": "0.2", "frames": [{"annotations": [{"id": 1, "category_id": 1, '
    '"type": "bbox", "points": [[0, 0], [1, %s]], "track_id": 1, "is_keyframe": true}]}]}',
    '{"format_version": "0.2", "frames": [{"annotations": [{"id": %s, "category_id": 1, '
    '"type": "bbox", "points": [[0, 0], [1, 1]], "track_id": %s, "is_keyframe": true, '
    '"attributes": {%k: %s}}]}]}',
    '{%k: %s}',
    '{"a": [%s, {%k: [%s]}]}',
]
DEEP_JSON = '{"a":' * 40 + "1" + "}" * 40


def _filled(template: str, leaves: list[str], keys: list[str]) -> str:
    text = template
    for key in keys:
        text = text.replace("%k", key, 1)
    for leaf in leaves:
        text = text.replace("%s", leaf, 1)
    return text


HOSTILE_JSON = st.one_of(
    st.builds(_filled, st.sampled_from(TEMPLATES),
              st.lists(st.sampled_from(HOSTILE_LEAVES), min_size=4, max_size=4),
              st.lists(st.sampled_from(HOSTILE_KEYS), min_size=2, max_size=2)),
    st.just(DEEP_JSON), st.just("[" * 5000), st.just('{"a": 1'), st.just("null"),
)


def _unsigned_token(state: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


# Page tokens a client could forge: the payload format without the signature, with one,
# and garbage (issue #12: each of the first ones once reached a KeyError or ValueError).
FORGED_TOKENS = st.one_of(
    st.sampled_from([
        _unsigned_token({"id": 5, "t": {"a": 1}}), _unsigned_token({"t": "no date", "id": "x"}),
        _unsigned_token({"r": "zz", "k": "a", "id": "x", "f": []}), _unsigned_token([1]),
        _unsigned_token({"after": {"x": 1}, "f": []}), _unsigned_token({"before": "x"}),
        _unsigned_token({"d": 1, "t": 2, "i": 3}),
        _unsigned_token({"id": 5}) + ".AAAAAAAAAAAAAAAAAAAAAA", "%%%", ".", "a.b.c",
    ]),
    st.binary(max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
)
JSON_VALUES = st.one_of(
    st.floats(), st.integers(-(2**70), 2**70), TEXT, HOSTILE_TEXT, st.booleans(), st.none())


def _json_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of a JSON document's leaves, and of its keys (ending in a ("key",) marker)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key, ("key",))
            yield from _json_leaves(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _json_leaves(child, (*path, i))
    else:
        yield path


_SLOT = "\x01slot\x01"  # json.dumps writes it "\u0001slot\u0001": unique in the text


def _with_hostile(text: str, path: tuple[Any, ...], raw: str) -> str:
    """`text` with the leaf (or key) at `path` replaced by the raw JSON text `raw`."""
    document = json.loads(text)
    parent: Any = document
    *steps, last = path or ("",)
    if not path:
        return raw
    for step in steps[:-1] if last == ("key",) else steps:
        parent = parent[step]
    if last == ("key",):
        parent[_SLOT] = parent.pop(steps[-1])
    else:
        parent[last] = _SLOT
    return json.dumps(document).replace(json.dumps(_SLOT), raw)


def json_mutations(text: str) -> st.SearchStrategy[str]:
    """A valid document with one leaf replaced by a hostile value, or one key by a hostile
    key: structure-aware, so the rest of the document passes validation."""
    paths = list(_json_leaves(json.loads(text)))
    if not paths:
        return st.just(text)
    return st.builds(
        lambda path, leaf, key: _with_hostile(text, path, key if path[-1] == ("key",)
                                              else leaf),
        st.sampled_from(paths), st.sampled_from(HOSTILE_LEAVES), st.sampled_from(HOSTILE_KEYS))


def _json_value(value: Any) -> struct_pb2.Value:
    message = struct_pb2.Value()
    if value is None:
        message.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        message.bool_value = value
    elif isinstance(value, int | float):
        message.number_value = float(value)
    else:
        message.string_value = value
    return message


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

    def __init__(self, addresses: dict[str, str], kind: str) -> None:
        self.kind = kind
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
        self.bases = self._bases(dataset.id, sample.id, release.id, json.dumps({
            "frames": frames}), json.dumps({"format_version": "0.2", "frames": [
                {"annotations": [{**box, "attributes": {"occluded": False}}]},
                {"annotations": []}, {"annotations": []}, {"annotations": []}]}))

    def _bases(self, dataset_id: str, sample_id: str, release_id: str, frames: str,
               label: str) -> dict[str, list[Message]]:
        """Valid requests of the methods that write or parse documents, for mutating one
        field at a time: random requests alone rarely get past the first check."""
        mask = field_mask_pb2.FieldMask
        metadata = json.dumps({"source": "cam", "tags": ["a", "b"], "n": 1.5})
        sample = dpb.Sample(dataset_id=dataset_id, name="seq-2", attributes_json=frames,
                            metadata_json=metadata, priority=2, assigned_labeler="ann")
        keyframe = ipb.Keyframe(frame=0, coordinates=[1, 2, 3, 4],
                                attributes_json='{"occluded": true}')
        track = ipb.Track(track_id=1, category_id=1, geometry_type=common_pb2.GEOMETRY_TYPE_BBOX,
                          keyframes=[keyframe, ipb.Keyframe(frame=3, coordinates=[5, 6, 7, 8])],
                          track_attributes_json='{"color": "red"}')
        inline = ipb.InlineTracks(tracks=[track], frame_count=4, timestamps=[0, 1, 2, 3])
        return {
            "CreateDataset": [dpb.CreateDatasetRequest(dataset=dpb.Dataset(
                name="made", task_type=common_pb2.TASK_TYPE_BBOXES, description="d",
                metadata_json=metadata, task_attributes=dpb.TaskAttributes(categories=[
                    dpb.Category(id=1, name="car", keypoint_names=["a"], attributes=[
                        dpb.AttributeDefinition(name="kind", values=["x", "y"],
                                                input_type=dpb.ATTRIBUTE_INPUT_TYPE_SELECT)])
                ])), request_id="r1")],
            "UpdateDataset": [dpb.UpdateDatasetRequest(dataset=dpb.Dataset(
                id=dataset_id, name="renamed", description="d", metadata_json=metadata),
                update_mask=mask(paths=["name", "description", "metadata_json"]))],
            "CreateSample": [dpb.CreateSampleRequest(sample=sample, request_id="r2")],
            "BatchCreateSamples": [dpb.BatchCreateSamplesRequest(
                dataset_id=dataset_id, samples=[sample, dpb.Sample(
                    name="seq-3", attributes_json=frames)])],
            "UpdateSample": [dpb.UpdateSampleRequest(sample=dpb.Sample(
                id=sample_id, name="seq-4", attributes_json=frames, metadata_json=metadata),
                update_mask=mask(paths=["name", "attributes_json", "metadata_json"]))],
            "ListSamples": [dpb.ListSamplesRequest(dataset_id=dataset_id, name_contains="s",
                                                   metadata_filter_json=metadata)],
            "CreateLabelSet": [dpb.CreateLabelSetRequest(label_set=dpb.LabelSet(
                dataset_id=dataset_id, name="predictions", description="d"))],
            "AddCollaborator": [dpb.AddCollaboratorRequest(collaborator=dpb.Collaborator(
                dataset_id=dataset_id, user="bob", role=dpb.ROLE_LABELER))],
            "SaveLabel": [lpb.SaveLabelRequest(label=lpb.Label(
                sample_id=sample_id, label_set="ground-truth", attributes_json=label,
                score=0.5))],
            "StreamFrameStates": [ipb.StreamFrameStatesRequest(inline=inline),
                                  ipb.StreamFrameStatesRequest(stored_label=ipb.StoredLabel(
                                      sample_id=sample_id, label_set="ground-truth"))],
            "GetFrameState": [ipb.GetFrameStateRequest(inline=inline, frame=2)],
            "CreateRelease": [rpb.CreateReleaseRequest(release=rpb.Release(
                dataset_id=dataset_id, name="v2", description="d"))],
            "ListReleases": [rpb.ListReleasesRequest(dataset_id=dataset_id)],
            "ListLabelRevisions": [lpb.ListLabelRevisionsRequest(sample_id=sample_id,
                                                                 label_set="ground-truth")],
        }

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


    def readable(self) -> None:
        """Every read of the dataset succeeds and a release of it builds: nothing stored
        by the calls before may make a read fail. Skipped once the dataset is gone."""
        if self.snapshot() == ("gone",):
            return
        samples = self.datasets.ListSamples(dpb.ListSamplesRequest(
            dataset_id=self.dataset_id, page_size=1000)).samples
        self.datasets.GetDataset(dpb.GetDatasetRequest(dataset_id=self.dataset_id))
        self.labels.ListLabels(lpb.ListLabelsRequest(dataset_id=self.dataset_id,
                                                     label_set="ground-truth"))
        for sample in samples:
            self.datasets.GetSample(dpb.GetSampleRequest(sample_id=sample.id))
            self.datasets.GetSampleFrames(dpb.GetSampleFramesRequest(sample_id=sample.id))
            self.labels.ListLabelRevisions(lpb.ListLabelRevisionsRequest(
                sample_id=sample.id, label_set="ground-truth"))
            try:
                self.labels.GetLabel(lpb.GetLabelRequest(sample_id=sample.id,
                                                         label_set="ground-truth"))
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND, error
        self.built += 1
        release = self.releases.CreateRelease(rpb.CreateReleaseRequest(
            release=rpb.Release(dataset_id=self.dataset_id, name=f"check-{self.built}")))
        deadline = time.monotonic() + 120
        while release.status == rpb.RELEASE_STATUS_PENDING and time.monotonic() < deadline:
            # Waits on the release's status (a condition), polling a tenth of a second.
            time.sleep(0.1)
            release = self.releases.GetRelease(rpb.GetReleaseRequest(release_id=release.id))
        assert release.status == rpb.RELEASE_STATUS_SUCCEEDED, release


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp_path = tmp_path_factory.mktemp("fuzz")
    background = Background()
    databases: dict[str, str] = {}
    names: list[str] = []
    if request.param == "postgres":
        for service in ("dataset", "labeling", "release"):
            names.append(background.run(create_postgres_database()))
            databases[service] = postgres_url(names[-1])
    context = suite_running(databases.get("release") or
                            f"sqlite+aiosqlite:///{tmp_path / 'release.db'}", tmp_path,
                            databases=databases)
    suite = background.run(context.__aenter__())
    try:
        addresses = dict(suite.release_config.peers)
        addresses["release"] = f"127.0.0.1:{suite.release_server.port}"
        world = World(addresses, request.param)
        yield world
        for channel in world.channels.values():
            channel.close()
    finally:
        background.run(context.__aexit__(None, None, None))
        for name in names:
            background.run(drop_postgres_database(name))
        background.close()


def _value(field: FieldDescriptor, depth: int, ids: list[str]) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        plain = st.one_of(st.sampled_from([*ids, "", "{}", "[]", '{"frames": []}', "*"]), TEXT,
                          HOSTILE_TEXT)
        if field.name.endswith("_json"):
            return st.one_of(plain, HOSTILE_JSON)
        if field.name == "page_token":
            return st.one_of(plain, FORGED_TOKENS)
        return plain
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=30)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    if kind == FieldDescriptor.TYPE_ENUM:
        return st.one_of(st.integers(0, 20), st.integers(-(2**31), 2**31 - 1))
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
    if descriptor.full_name == "google.protobuf.Value":
        return JSON_VALUES.map(_json_value)
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


def _paths(message: Message, prefix: tuple[Any, ...] = ()) -> Iterator[
        tuple[tuple[Any, ...], FieldDescriptor]]:
    """Every scalar field a mutation may set: all of `message`'s own, and those of the
    messages it holds."""
    for field in message.DESCRIPTOR.fields:
        if field.message_type is None:
            yield (*prefix, field.name), field
        elif field.message_type.full_name in SKIPPED_TYPES or (
                field.message_type.GetOptions().map_entry):
            continue
        elif field.is_repeated:
            for i, item in enumerate(getattr(message, field.name)):
                yield from _paths(item, (*prefix, (field.name, i)))
        elif message.HasField(field.name):
            yield from _paths(getattr(message, field.name), (*prefix, field.name))


def _set(base: Message, path: tuple[Any, ...], field: FieldDescriptor, value: Any) -> Message:
    message = type(base)()
    message.CopyFrom(base)
    target: Any = message
    for step in path[:-1]:
        target = getattr(target, step[0])[step[1]] if isinstance(step, tuple) else getattr(
            target, step)
    if field.is_repeated:
        del getattr(target, path[-1])[:]
        getattr(target, path[-1]).extend(value if isinstance(value, list) else [value])
    else:
        setattr(target, path[-1], value)
    return message


def mutations(base: Message, ids: list[str]) -> st.SearchStrategy[Message]:
    """`base` with one scalar field set to a random or hostile value; a JSON field to a
    valid document with one hostile leaf or key, most of the time."""
    choices = []
    for path, field in _paths(base):
        value = _value(field, 4, ids)
        current = base
        for step in path[:-1]:
            current = (getattr(current, step[0])[step[1]] if isinstance(step, tuple)
                       else getattr(current, step))
        text = getattr(current, path[-1])
        if field.name.endswith("_json") and text:
            value = st.one_of(json_mutations(text), json_mutations(text), value)
        choices.append(value.map(lambda v, p=path, f=field: _set(base, p, f, v)))
    return st.one_of(*choices)


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
    bases = world.bases.get(method.name, [])
    if bases:  # structure-aware: mostly one hostile field in an otherwise valid request
        strategy = st.one_of(strategy, *(mutations(b, world.ids) for b in bases),
                             *(mutations(b, world.ids) for b in bases))

    @settings(max_examples=40 if bases else 15, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=strategy)
    def check(request: Message) -> None:
        before = world.snapshot()
        code = _call(world, service, method, lambda m: m.SerializeToString(), request)
        assert code not in FORBIDDEN, f"{method.name}({request}) -> {code.name}"
        if code != grpc.StatusCode.OK:
            assert world.snapshot() == before, f"{method.name}({request}) changed data"

    check()
    world.readable()


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
