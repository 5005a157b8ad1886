"""What text and JSON may hold: the same on SQLite and PostgreSQL, readable by strict JSON
readers (issue #12). Each value here was stored by SQLite and refused by PostgreSQL, or
written into release files that strict parsers reject."""

from __future__ import annotations

import json

import pytest

from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from framewise.labeling.v1 import labeling_pb2 as lpb
from shared.errors import InvalidArgument
from shared.jsondoc import parse_object
from shared.limits import MAX_JSON_INTEGER
from shared.request_limits import check_request
from shared.text import name_problem, text_problem


@pytest.mark.parametrize(("text", "path"), [
    ('{"image": {"url": "\\ud800"}}', "f.image.url"),  # unpaired surrogate, as JSON escape
    ('{"a": ["x", "\\udfff"]}', "f.a[1]"),
    ('{"\\ud800": 1}', "f.\\ud800"),  # as a key, named by its escape
    ('{"a": "x\\u0000y"}', "f.a"),
    ('{"\\u0000": 1}', "f.\\u0000"),
    ('{"a": NaN}', "f.a"),
    ('{"a": [1, Infinity]}', "f.a[1]"),
    ('{"a": -Infinity}', "f.a"),
    ('{"a": 1e999}', "f.a"),
    ('{"a": -1E+400}', "f.a"),
    ('{"a": 1' + "0" * 400 + '}', "f.a"),
    (json.dumps({"a": {"b": MAX_JSON_INTEGER + 1}}), "f.a.b"),
    (json.dumps({"id": -(10**40)}), "f.id"),
])
def test_unstorable_json_is_invalid_argument_naming_the_path(text: str, path: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_object(text, "f")
    assert caught.value.violations[0].field == path


@pytest.mark.parametrize("text", [
    json.dumps({"a": "\U0001f600 ok", "b": 1.5e300, "c": MAX_JSON_INTEGER, "d": -1e-300}),
    json.dumps({"emoji": "\U0001f600"}, ensure_ascii=True),  # a surrogate *pair*: fine
    '{"path": "C:\\\\u0000dir"}',  # an escaped backslash, not a NUL
    json.dumps({"NaN": "Infinity", "x": 0.1234567890123456789}),
])
def test_storable_json_passes(text: str) -> None:
    assert parse_object(text, "f") == json.loads(text)


def test_text_and_names() -> None:
    assert text_problem("plain é \U0001f600") is None
    assert "NUL" in (text_problem("a\x00b") or "")
    assert "surrogate" in (text_problem("a\ud800") or "")
    assert name_problem("car") is None
    assert name_problem("") is None  # required or not is the field's rule
    for bad in ("   ", "\t", "a\nb", "evil\u202egnp.exe", "x\u2066y", "bell\x07"):
        assert name_problem(bad) is not None, repr(bad)


def _field_of(request: object) -> list[str]:
    with pytest.raises(InvalidArgument) as caught:
        check_request(request)  # type: ignore[arg-type]
    return [v.field for v in caught.value.violations]


def test_requests_refuse_nul_blank_names_unknown_enums_and_non_finite_numbers() -> None:
    assert _field_of(dpb.GetDatasetRequest(dataset_id="a\x00b")) == ["dataset_id"]
    assert _field_of(dpb.CreateDatasetRequest(dataset=dpb.Dataset(name="  "))) == [
        "dataset.name"]
    assert _field_of(dpb.CreateSampleRequest(sample=dpb.Sample(name="a\u202eb"))) == [
        "sample.name"]
    assert _field_of(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name="d", task_attributes=dpb.TaskAttributes(categories=[
            dpb.Category(id=1, name="car", keypoint_names=["ok", "\n"])])))) == [
        "dataset.task_attributes.categories[0].keypoint_names[1]"]
    assert _field_of(dpb.CreateDatasetRequest(dataset=dpb.Dataset(name="d", task_type=99))) == [
        "dataset.task_type"]
    assert _field_of(ipb.StreamFrameStatesRequest(inline=ipb.InlineTracks(
        options=ipb.InterpolationOptions(mode=99)))) == ["inline.options.mode"]
    assert _field_of(lpb.SaveLabelRequest(label=lpb.Label(score=float("nan")))) == [
        "label.score"]
    # Names may hold what people write.
    check_request(dpb.CreateSampleRequest(sample=dpb.Sample(name="frames/0001 é.jpg")))
