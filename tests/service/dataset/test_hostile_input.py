"""Hostile input to the dataset service (issue #12), on SQLite and PostgreSQL alike: each
case here once answered INTERNAL, wrote a row the client was told failed, or left a
dataset that every later read of failed."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from framewise.dataset.v1 import dataset_pb2 as pb
from tests.service.dataset.factories import create_dataset, image_attributes
from tests.support.errors import error_reason, expect_error, field_violations

INVALID = grpc.StatusCode.INVALID_ARGUMENT
BBOXES = 3  # TASK_TYPE_BBOXES: image samples


async def _image_dataset(stub):
    return await create_dataset(stub, task_type=BBOXES)


async def _sample_ids(stub, dataset_id: str) -> list[str]:
    found = await stub.ListSamples(pb.ListSamplesRequest(dataset_id=dataset_id))
    return [s.id for s in found.samples]


@pytest.mark.parametrize(("field", "text", "path"), [
    ("attributes_json", '{"image": {"url": "\\ud800"}}', "sample.attributes_json.image.url"),
    ("metadata_json", '{"a": "\\udc00"}', "sample.metadata_json.a"),
    ("metadata_json", '{"\\ud800": 1}', "sample.metadata_json.\\ud800"),
    ("metadata_json", '{"\\u0000": 1}', "sample.metadata_json.\\u0000"),
    ("metadata_json", '{"a": "x\\u0000"}', "sample.metadata_json.a"),
    ("metadata_json", '{"a": NaN}', "sample.metadata_json.a"),
    ("metadata_json", '{"a": [Infinity]}', "sample.metadata_json.a[0]"),
    ("metadata_json", '{"a": 1e999}', "sample.metadata_json.a"),
    ("metadata_json", '{"a": 1' + "0" * 40 + "}", "sample.metadata_json.a"),
])
async def test_unstorable_json_is_refused_and_writes_nothing(dataset_stub, field, text, path):
    dataset = await _image_dataset(dataset_stub)
    fields = {"attributes_json": image_attributes(), field: text}
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="s", **fields))), INVALID, path)
    assert await _sample_ids(dataset_stub, dataset.id) == []
    # The dataset still reads, and takes good samples.
    await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="s", attributes_json=image_attributes())))
    assert len(await _sample_ids(dataset_stub, dataset.id)) == 1


async def test_nul_in_ids_names_and_filters_is_invalid_argument(dataset_stub):
    dataset = await _image_dataset(dataset_stub)
    cases = [
        (dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id="a\x00b")), "dataset_id"),
        (dataset_stub.GetSample(pb.GetSampleRequest(sample_id="\x00")), "sample_id"),
        (dataset_stub.CreateLabelSet(pb.CreateLabelSetRequest(label_set=pb.LabelSet(
            dataset_id=dataset.id, name="pred\x00"))), "label_set.name"),
        (dataset_stub.GetLabelSet(pb.GetLabelSetRequest(dataset_id=dataset.id,
                                                        name="x\x00")), "name"),
        (dataset_stub.ListSamples(pb.ListSamplesRequest(
            dataset_id=dataset.id, name_contains="\x00")), "name_contains"),
        (dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(collaborator=pb.Collaborator(
            dataset_id=dataset.id, user="bob\x00", role=pb.ROLE_VIEWER))),
         "collaborator.user"),
        (dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
            dataset_id=dataset.id, name="a\x00", attributes_json=image_attributes()))),
         "sample.name"),
    ]
    for call, field in cases:
        await expect_error(call, INVALID, field)
    assert await _sample_ids(dataset_stub, dataset.id) == []


@pytest.mark.parametrize("name", ["   ", "\t", "line\nbreak", "evil\u202egnp.jpg",
                                  "iso\u2066late", "bell\x07"])
async def test_names_that_are_blank_or_hide_characters_are_refused(dataset_stub, name):
    dataset = await _image_dataset(dataset_stub)
    await expect_error(dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name=name, attributes_json=image_attributes()))),
        INVALID, "sample.name")
    category = pb.Category(id=1, name=name)
    await expect_error(dataset_stub.CreateDataset(pb.CreateDatasetRequest(dataset=pb.Dataset(
        name="fine", task_type=BBOXES, task_attributes=pb.TaskAttributes(
            categories=[category])))), INVALID, "dataset.task_attributes.categories[0].name")


def _forged(state: object, mac: bool = False) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    return f"{raw}.AAAAAAAAAAAAAAAAAAAAAA" if mac else raw


@pytest.mark.parametrize("token", [
    _forged({"id": 5, "t": {"a": 1}}), _forged({"t": "not a date", "id": "x"}),
    _forged({"r": "zz", "k": "a", "id": "x", "f": []}), _forged([1]), _forged("x"),
    _forged({"id": 5, "t": {"a": 1}}, mac=True), "%%%", "....", "a" * 1000,
])
async def test_forged_page_tokens_are_invalid_argument(dataset_stub, token):
    dataset = await _image_dataset(dataset_stub)
    await expect_error(dataset_stub.ListDatasets(pb.ListDatasetsRequest(page_token=token)),
                       INVALID, "page_token")
    await expect_error(dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, page_token=token)), INVALID, "page_token")
    await expect_error(dataset_stub.ListLabelSets(pb.ListLabelSetsRequest(
        dataset_id=dataset.id, page_token=token)), INVALID, "page_token")
    await expect_error(dataset_stub.ListCollaborators(pb.ListCollaboratorsRequest(
        dataset_id=dataset.id, page_token=token)), INVALID, "page_token")


async def test_a_token_of_one_listing_does_not_page_another(dataset_stub):
    for _ in range(3):
        await _image_dataset(dataset_stub)
    page = await dataset_stub.ListDatasets(pb.ListDatasetsRequest(page_size=1))
    assert page.next_page_token
    dataset = await _image_dataset(dataset_stub)
    await expect_error(dataset_stub.ListSamples(pb.ListSamplesRequest(
        dataset_id=dataset.id, page_token=page.next_page_token)), INVALID, "page_token")
    following = await dataset_stub.ListDatasets(pb.ListDatasetsRequest(
        page_size=1, page_token=page.next_page_token))
    assert following.datasets[0].id != page.datasets[0].id


async def test_the_last_admin_can_neither_leave_nor_be_demoted(dataset_stub):
    dataset = await _image_dataset(dataset_stub)
    me = "local"
    error = await expect_error(dataset_stub.RemoveCollaborator(pb.RemoveCollaboratorRequest(
        dataset_id=dataset.id, user=me)), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(error) == "LAST_ADMIN"
    mask = field_mask_pb2.FieldMask(paths=["role"])
    await expect_error(dataset_stub.UpdateCollaborator(pb.UpdateCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user=me, role=pb.ROLE_VIEWER),
        update_mask=mask)), grpc.StatusCode.FAILED_PRECONDITION)
    assert (await dataset_stub.GetDataset(pb.GetDatasetRequest(dataset_id=dataset.id))).id
    # With a second admin, the first may step down.
    await dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(collaborator=pb.Collaborator(
        dataset_id=dataset.id, user="ada", role=pb.ROLE_ADMIN)))
    await dataset_stub.UpdateCollaborator(pb.UpdateCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="ada", role=pb.ROLE_MANAGER),
        update_mask=mask))
    await dataset_stub.UpdateCollaborator(pb.UpdateCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="ada", role=pb.ROLE_ADMIN),
        update_mask=mask))
    await dataset_stub.RemoveCollaborator(pb.RemoveCollaboratorRequest(dataset_id=dataset.id,
                                                                       user=me))


async def test_a_batch_sample_of_another_dataset_is_refused(dataset_stub):
    dataset = await _image_dataset(dataset_stub)
    other = await _image_dataset(dataset_stub)
    samples = [pb.Sample(name="a", attributes_json=image_attributes()),
               pb.Sample(dataset_id=other.id, name="b", attributes_json=image_attributes()),
               pb.Sample(dataset_id=dataset.id, name="c", attributes_json=image_attributes())]
    error = await expect_error(dataset_stub.BatchCreateSamples(pb.BatchCreateSamplesRequest(
        dataset_id=dataset.id, samples=samples)), INVALID, "samples[1].dataset_id")
    assert list(field_violations(error)) == ["samples[1].dataset_id"]
    assert await _sample_ids(dataset_stub, dataset.id) == []
    assert await _sample_ids(dataset_stub, other.id) == []


async def test_unknown_enum_values_are_invalid_argument(dataset_stub):
    await expect_error(dataset_stub.ListDatasets(pb.ListDatasetsRequest(task_type=99)),
                       INVALID, "task_type")
    dataset = await _image_dataset(dataset_stub)
    await expect_error(dataset_stub.AddCollaborator(pb.AddCollaboratorRequest(
        collaborator=pb.Collaborator(dataset_id=dataset.id, user="x", role=42))),
        INVALID, "collaborator.role")


# PostgreSQL refuses such text itself: there is nothing stored to repair there.
@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_sample_stored_poisoned_is_read_repaired_and_can_be_fixed(
        dataset_stub, db_url: str):
    """A row stored before these checks (SQLite stored anything; PostgreSQL refuses such
    text itself) reads with U+FFFD and null in place of what cannot be sent, in every
    read, and an admin can overwrite or delete it."""
    dataset = await _image_dataset(dataset_stub)
    good = await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="good", attributes_json=image_attributes())))
    bad = await dataset_stub.CreateSample(pb.CreateSampleRequest(sample=pb.Sample(
        dataset_id=dataset.id, name="bad", attributes_json=image_attributes())))
    path = Path(db_url.removeprefix("sqlite+aiosqlite:///"))
    with sqlite3.connect(path) as connection:  # what SQLAlchemy's JSON wrote before
        connection.execute(
            "UPDATE samples SET attributes = ?, metadata = ? WHERE id = ?",
            ('{"image": {"url": "\\ud800"}}', '{"\\ud800": NaN}', bad.id))
    listed = await dataset_stub.ListSamples(pb.ListSamplesRequest(dataset_id=dataset.id))
    by_name = {s.name: s for s in listed.samples}
    assert json.loads(by_name["bad"].attributes_json) == {"image": {"url": "\ufffd"}}
    assert json.loads(by_name["bad"].metadata_json) == {"\ufffd": None}
    assert by_name["good"].attributes_json == good.attributes_json
    fetched = await dataset_stub.GetSample(pb.GetSampleRequest(sample_id=bad.id))
    assert json.loads(fetched.attributes_json)["image"]["url"] == "\ufffd"
    await dataset_stub.GetSampleFrames(pb.GetSampleFramesRequest(sample_id=bad.id))
    fixed = await dataset_stub.UpdateSample(pb.UpdateSampleRequest(
        sample=pb.Sample(id=bad.id, attributes_json=image_attributes("https://x/y.jpg"),
                         metadata_json="{}"),
        update_mask=field_mask_pb2.FieldMask(paths=["attributes_json", "metadata_json"])))
    assert json.loads(fixed.attributes_json) == {"image": {"url": "https://x/y.jpg"}}
    await dataset_stub.DeleteSample(pb.DeleteSampleRequest(sample_id=bad.id))
    assert await _sample_ids(dataset_stub, dataset.id) == [good.id]
