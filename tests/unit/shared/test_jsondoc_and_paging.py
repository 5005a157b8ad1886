"""Shared helpers: JSON documents with limits, page tokens."""

from __future__ import annotations

import json

import pytest

from shared.errors import InvalidArgument
from shared.jsondoc import parse_object
from shared.limits import MAX_JSON_DEPTH, MAX_JSON_KEY_LENGTH
from shared.paging import decode_token, encode_token, page_size


def test_parse_object_names_the_field_on_every_kind_of_bad_document():
    for text in ("{", "[]", "3", '"x"', '{"a":' * 50 + "1" + "}" * 50):
        with pytest.raises(InvalidArgument) as caught:
            parse_object(text, "label.attributes_json")
        assert caught.value.violations[0].field.startswith("label.attributes_json")
    assert parse_object("", "f") == {}
    with pytest.raises(InvalidArgument):
        parse_object(" ", "f", allow_empty=False)


def test_parse_object_names_the_json_path_and_the_limit_it_exceeds():
    deep = '{"a": [' + '{"b":' * 40 + "1" + "}" * 40 + "]}"
    with pytest.raises(InvalidArgument) as caught:
        parse_object(deep, "label.attributes_json")
    violation = caught.value.violations[0]
    assert violation.field.startswith("label.attributes_json.a[0].b.b")
    assert violation.description == f"at most {MAX_JSON_DEPTH} levels of nesting"
    at_limit = '{"a": ' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH
    assert parse_object(at_limit, "f")
    with pytest.raises(InvalidArgument):
        parse_object('{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1), "f")
    key = "k" * (MAX_JSON_KEY_LENGTH + 1)
    with pytest.raises(InvalidArgument) as caught:
        parse_object(json.dumps({"frames": [{}, {"attributes": {key: 1}}]}), "label")
    assert caught.value.violations[0].field == "label.frames[1].attributes"
    assert str(MAX_JSON_KEY_LENGTH) in caught.value.violations[0].description
    assert parse_object(json.dumps({"k" * MAX_JSON_KEY_LENGTH: 1}), "f")


def test_page_tokens_round_trip_and_reject_garbage():
    state = {"r": 12, "k": "name", "id": "abc"}
    assert decode_token(encode_token(state)) == state
    assert decode_token("") == {}
    for garbage in ("%%%", "bm90IGpzb24", encode_token([1])):  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument):
            decode_token(garbage)


def test_page_size_bounds():
    assert page_size(0) == 100
    assert page_size(7) == 7
    with pytest.raises(InvalidArgument):
        page_size(-1)
    with pytest.raises(InvalidArgument):
        page_size(1001)
