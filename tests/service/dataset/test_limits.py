"""The dataset service's limits: a request just at each limit is served, one just over is
INVALID_ARGUMENT naming the field and the limit; a request over the message size is
RESOURCE_EXHAUSTED."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as pb
from framewise.dataset.v1 import dataset_pb2_grpc
from services.dataset.app import build_server
from shared import limits as L
from tests.service.dataset.factories import create_dataset, unique_name
from tests.support.errors import expect_error, expect_limit
from tests.support.services import running, test_config
from tests.support.tokens import bearer

MULTISENSOR = common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE
KEYPOINTS = common_pb2.TASK_TYPE_KEYPOINTS


def _dataset(name: str | None = None, **fields: Any) -> pb.CreateDatasetRequest:
    fields.setdefault("task_type", common_pb2.TASK_TYPE_BBOXES)
    return pb.CreateDatasetRequest(dataset=pb.Dataset(name=name or unique_name(), **fields))


def _categories(count: int, **fields: Any) -> pb.TaskAttributes:
    return pb.TaskAttributes(categories=[pb.Category(id=i, name=f"c{i}", **fields)
                                         for i in range(count)])


def _attributes(count: int) -> list[pb.AttributeDefinition]:
    return [pb.AttributeDefinition(name=f"a{i}", input_type=pb.ATTRIBUTE_INPUT_TYPE_CHECKBOX)
            for i in range(count)]


async def test_dataset_fields_at_and_over_their_limits(dataset_stub):
    create = dataset_stub.CreateDataset
    # name, description, idempotency key
    assert (await create(_dataset("n" * L.MAX_NAME_LENGTH))).name == "n" * L.MAX_NAME_LENGTH
    await expect_limit(create(_dataset("n" * (L.MAX_NAME_LENGTH + 1))), "dataset.name",
                       L.MAX_NAME_LENGTH)
    await create(_dataset(description="d" * L.MAX_DESCRIPTION_LENGTH))
    await expect_limit(create(_dataset(description="d" * (L.MAX_DESCRIPTION_LENGTH + 1))),
                       "dataset.description", L.MAX_DESCRIPTION_LENGTH)
    request = _dataset()
    request.request_id = "r" * L.MAX_REQUEST_ID_LENGTH
    await create(request)
    request.request_id += "r"
    await expect_limit(create(request), "request_id", L.MAX_REQUEST_ID_LENGTH)

    # categories and what they hold
    dataset = await create(_dataset(task_attributes=_categories(L.MAX_CATEGORIES)))
    assert len(dataset.task_attributes.categories) == L.MAX_CATEGORIES
    await expect_limit(create(_dataset(task_attributes=_categories(L.MAX_CATEGORIES + 1))),
                       "dataset.task_attributes.categories", L.MAX_CATEGORIES)
    for length, field in ((L.MAX_TEXT_LENGTH, None),
                          (L.MAX_TEXT_LENGTH + 1, "dataset.task_attributes.categories[0].name")):
        request = _dataset(task_attributes=pb.TaskAttributes(categories=[
            pb.Category(id=1, name="c" * length)]))
        if field is None:
            await create(request)
        else:
            await expect_limit(create(request), field, L.MAX_TEXT_LENGTH)
    await create(_dataset(task_attributes=_categories(1, attributes=_attributes(
        L.MAX_ATTRIBUTES))))
    await expect_limit(
        create(_dataset(task_attributes=_categories(1, attributes=_attributes(
            L.MAX_ATTRIBUTES + 1)))),
        "dataset.task_attributes.categories[0].attributes", L.MAX_ATTRIBUTES)
    await create(_dataset(task_attributes=pb.TaskAttributes(
        sample_attributes=_attributes(L.MAX_ATTRIBUTES))))
    await expect_limit(
        create(_dataset(task_attributes=pb.TaskAttributes(
            sample_attributes=_attributes(L.MAX_ATTRIBUTES + 1)))),
        "dataset.task_attributes.sample_attributes", L.MAX_ATTRIBUTES)
    for count in (L.MAX_ATTRIBUTE_VALUES, L.MAX_ATTRIBUTE_VALUES + 1):
        select = pb.AttributeDefinition(name="kind", input_type=pb.ATTRIBUTE_INPUT_TYPE_SELECT,
                                        values=[f"v{i}" for i in range(count)])
        call = create(_dataset(task_attributes=_categories(1, attributes=[select])))
        if count == L.MAX_ATTRIBUTE_VALUES:
            await call
        else:
            await expect_limit(call, "dataset.task_attributes.categories[0].attributes[0].values",
                               L.MAX_ATTRIBUTE_VALUES)
    names = [f"k{i}" for i in range(L.MAX_KEYPOINT_NAMES)]
    await create(_dataset(task_type=KEYPOINTS, task_attributes=_categories(
        1, keypoint_names=names)))
    await expect_limit(
        create(_dataset(task_type=KEYPOINTS, task_attributes=_categories(
            1, keypoint_names=[*names, "extra"]))),
        "dataset.task_attributes.categories[0].keypoint_names", L.MAX_KEYPOINT_NAMES)

    # update masks, ids, users
    dataset = await create(_dataset())
    mask = field_mask_pb2.FieldMask(paths=["description"] * L.MAX_MASK_PATHS)
    dataset.description = "changed"
    await dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(dataset=dataset, update_mask=mask))
    mask.paths.append("description")
    await expect_limit(dataset_stub.UpdateDataset(pb.UpdateDatasetRequest(
        dataset=dataset, update_mask=mask)), "update_mask.paths", L.MAX_MASK_PATHS)
    await expect_error(dataset_stub.GetDataset(pb.GetDatasetRequest(
        dataset_id="x" * L.MAX_ID_LENGTH)), grpc.StatusCode.NOT_FOUND)
    await expect_limit(dataset_stub.GetDataset(pb.GetDatasetRequest(
        dataset_id="x" * (L.MAX_ID_LENGTH + 1))), "dataset_id", L.MAX_ID_LENGTH)
    collaborator = pb.Collaborator(dataset_id=dataset.id, user="u" * L.MAX_USER_LENGTH,
                                   role=pb.ROLE_VIEWER)
    await dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(collaborator=collaborator))
    collaborator.user += "u"
    await expect_limit(dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(
        collaborator=collaborator)), "collaborator.user", L.MAX_USER_LENGTH)


async def test_lists_at_and_over_their_limits(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    listing = await dataset_stub.ListDatasets(pb.ListDatasetsRequest(
        page_size=L.MAX_PAGE_SIZE, name_contains="d" * L.MAX_TEXT_LENGTH))
    assert list(listing.datasets) == []
    await expect_limit(dataset_stub.ListDatasets(pb.ListDatasetsRequest(
        page_size=L.MAX_PAGE_SIZE + 1)), "page_size", L.MAX_PAGE_SIZE)
    await expect_limit(dataset_stub.ListDatasets(pb.ListDatasetsRequest(
        name_contains="d" * (L.MAX_TEXT_LENGTH + 1))), "name_contains", L.MAX_TEXT_LENGTH)
    # A page token of ours is short; a longer one is refused before it is decoded.
    await expect_limit(dataset_stub.ListDatasets(pb.ListDatasetsRequest(
        page_token="t" * (L.MAX_PAGE_TOKEN_LENGTH + 1))), "page_token", L.MAX_PAGE_TOKEN_LENGTH)
    # The metadata filter rides in every page token: at its limit, paging still works.
    for i in range(3):
        await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
            dataset_id=dataset.id, name=f"s{i}", metadata_json=json.dumps({"k": "é" * 4000}),
            attributes_json=json.dumps({"frames": [{"image": {"url": "u"}}]}))))
    text = json.dumps({"k": "é" * 4000}, ensure_ascii=False)
    wide = json.dumps({"k": "é" * 4000, "p": ""}, ensure_ascii=False)
    wide = wide[:-2] + "p" * (L.MAX_FILTER_JSON_LENGTH - len(wide)) + '"}'
    assert len(wide) == L.MAX_FILTER_JSON_LENGTH
    request = pb.ListSamplesRequest(dataset_id=dataset.id, page_size=1, metadata_filter_json=text)
    first = await dataset_stub.ListSamples(request)
    request.page_token = first.next_page_token
    second = await dataset_stub.ListSamples(request)
    assert [s.name for s in (*first.samples, *second.samples)] == ["s0", "s1"]
    await dataset_stub.ListSamples(pb.ListSamplesRequest(dataset_id=dataset.id,
                                                         metadata_filter_json=wide))
    await expect_limit(dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, metadata_filter_json=wide[:-1] + " }")),
        "metadata_filter_json", L.MAX_FILTER_JSON_LENGTH)


def _nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for _ in range(depth - 1):
        document = {"a": document}
    return document


async def test_json_documents_at_and_over_their_limits(dataset_stub):
    create = dataset_stub.CreateDataset
    # size: checked before the text is parsed. At the limit the document is read and the
    # call goes on (to a name already taken: storing 32 MiB would only make this slow).
    taken = await create(_dataset())
    big = '{"p":"' + "x" * (L.MAX_JSON_BYTES - len('{"p":""}')) + '"}'
    await expect_error(create(_dataset(taken.name, metadata_json=big)),
                       grpc.StatusCode.ALREADY_EXISTS)
    await expect_limit(create(_dataset(taken.name, metadata_json=big + " ")),
                       "dataset.metadata_json", L.MAX_JSON_BYTES)
    del big
    # depth and keys: the violation names the JSON path
    await create(_dataset(metadata_json=json.dumps(_nested(L.MAX_JSON_DEPTH))))
    await expect_limit(create(_dataset(metadata_json=json.dumps(_nested(L.MAX_JSON_DEPTH + 1)))),
                       "dataset.metadata_json" + ".a" * L.MAX_JSON_DEPTH, L.MAX_JSON_DEPTH)
    key = "k" * L.MAX_JSON_KEY_LENGTH
    await create(_dataset(metadata_json=json.dumps({"tags": {key: 1}})))
    await expect_limit(create(_dataset(metadata_json=json.dumps({"tags": {key + "k": 1}}))),
                       "dataset.metadata_json.tags", L.MAX_JSON_KEY_LENGTH)
    # an attribute's default value is JSON too
    definition = pb.AttributeDefinition(name="v", input_type=pb.ATTRIBUTE_INPUT_TYPE_TEXT)
    definition.default_value.struct_value.update({key + "k": 1})
    await expect_limit(create(_dataset(task_attributes=pb.TaskAttributes(
        sample_attributes=[definition]))),
        "dataset.task_attributes.sample_attributes[0].default_value", L.MAX_JSON_KEY_LENGTH)


def _frames(count: int, **frame: Any) -> dict[str, Any]:
    return {"frames": [{"image": {"url": f"u{i}"}, **frame} for i in range(count)]}


async def test_samples_at_and_over_their_limits(dataset_stub):
    dataset = await create_dataset(dataset_stub)
    sensors = await create_dataset(dataset_stub, task_type=MULTISENSOR)

    async def add(name: str, attributes: dict[str, Any], target: pb.Dataset = dataset) -> Any:
        return await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
            dataset_id=target.id, name=name, attributes_json=json.dumps(attributes))))

    def rejected(name: str, attributes: dict[str, Any], field: str, limit: int,
                 target: pb.Dataset = dataset) -> Any:
        return expect_limit(add(name, attributes, target), field, limit)

    sample = await add("s" * L.MAX_SAMPLE_NAME_LENGTH, _frames(1))
    assert sample.name == "s" * L.MAX_SAMPLE_NAME_LENGTH
    await rejected("s" * (L.MAX_SAMPLE_NAME_LENGTH + 1), _frames(1), "sample.name",
                   L.MAX_SAMPLE_NAME_LENGTH)
    assert (await add("long", _frames(L.MAX_FRAMES))).frame_count == L.MAX_FRAMES
    await rejected("longer", _frames(L.MAX_FRAMES + 1), "sample.attributes_json.frames",
                   L.MAX_FRAMES)
    url = "https://example.com/" + "u" * (L.MAX_URL_LENGTH - 20)
    await add("url", {"frames": [{"image": {"url": url}}]})
    await rejected("url2", {"frames": [{"image": {"url": url + "u"}}]},
                   "sample.attributes_json.frames[0].image.url", L.MAX_URL_LENGTH)
    await add("named", _frames(1, name="n" * L.MAX_TEXT_LENGTH))
    await rejected("named2", _frames(1, name="n" * (L.MAX_TEXT_LENGTH + 1)),
                   "sample.attributes_json.frames[0].name", L.MAX_TEXT_LENGTH)

    def rig(count: int, name_length: int = 8) -> dict[str, Any]:
        return {"sensors": [{"name": f"{i:0{name_length}d}", "task_type": "image-vector-sequence",
                             "attributes": _frames(1)} for i in range(count)]}

    await add("rig", rig(L.MAX_SENSORS), sensors)
    await rejected("rig2", rig(L.MAX_SENSORS + 1), "sample.attributes_json.sensors",
                   L.MAX_SENSORS, sensors)
    await add("rig3", rig(1, L.MAX_TEXT_LENGTH), sensors)
    await rejected("rig4", rig(1, L.MAX_TEXT_LENGTH + 1),
                   "sample.attributes_json.sensors[0].name", L.MAX_TEXT_LENGTH, sensors)

    # a batch: at most MAX_BATCH_SAMPLES samples per call. At the limit every sample is
    # checked (the last one is bad, so nothing is written and the test stays fast).
    batch = [pb.Sample(name=f"b{i}", attributes_json='{"frames":[{"image":{"url":"u"}}]}')
             for i in range(L.MAX_BATCH_SAMPLES)]
    batch[-1].attributes_json = '{"frames": []}'
    last = f"samples[{L.MAX_BATCH_SAMPLES - 1}].attributes_json.frames"
    await expect_error(dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=batch)), grpc.StatusCode.INVALID_ARGUMENT, last)
    batch.append(pb.Sample(name="one-more", attributes_json='{"frames":[{"image":{"url":"u"}}]}'))
    await expect_limit(dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=batch)), "samples", L.MAX_BATCH_SAMPLES)


@pytest.fixture
async def dataset_port(tmp_path: Path) -> Any:
    """A dataset service on SQLite: gRPC enforces the message size, whatever the database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dataset.db'}"
    async with running(build_server, test_config("dataset", url, tmp_path)) as (server, _):
        yield server.port


async def test_a_request_over_the_message_size_is_resource_exhausted(dataset_port):
    # A client that sends as much as it likes: the limit is the server's.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{dataset_port}", options=[
            ("grpc.max_send_message_length", -1)]) as channel:
        stub = dataset_pb2_grpc.DatasetServiceStub(channel)
        auth = (bearer("local"),)
        def request(size: int) -> pb.CreateDatasetRequest:
            message = _dataset("n", description="d" * size)
            # Trim the description by the framing's bytes (stable once this close).
            message.dataset.description = "d" * (2 * size - message.ByteSize())
            return message

        at_limit = request(L.MAX_MESSAGE_BYTES)
        assert at_limit.ByteSize() == L.MAX_MESSAGE_BYTES
        # Received whole, and answered by the service (the description is over its limit).
        await expect_limit(stub.CreateDataset(at_limit, metadata=auth), "dataset.description",
                           L.MAX_DESCRIPTION_LENGTH)
        del at_limit
        error = await expect_error(stub.CreateDataset(request(L.MAX_MESSAGE_BYTES + 1),
                                                      metadata=auth),
                                   grpc.StatusCode.RESOURCE_EXHAUSTED)
        assert str(L.MAX_MESSAGE_BYTES) in (error.details() or "")
