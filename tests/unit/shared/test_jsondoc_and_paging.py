"""Shared helpers: JSON documents with limits, page tokens."""

from __future__ import annotations

import base64
import json

import pytest

from shared.errors import InvalidArgument
from shared.jsondoc import parse_object
from shared.limits import MAX_JSON_DEPTH, MAX_JSON_KEY_LENGTH
from shared.paging import configure_key, decode_token, encode_token, page_size


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


FIELDS = {"r": int, "k": (str, int, float), "id": str}


def test_page_tokens_round_trip():
    state = {"r": 12, "k": "name", "id": "abc"}
    assert decode_token(encode_token("ListSamples", state), "ListSamples", FIELDS) == state
    assert decode_token("", "ListSamples", FIELDS) == {}


def _unsigned(state: object) -> str:
    """What a client forging a token would send: our payload format with a made-up MAC."""
    raw = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    return f"{raw}.{base64.urlsafe_b64encode(bytes(16)).decode().rstrip('=')}"


def test_forged_tokens_are_invalid_argument_page_token():
    """Each of these reached code that raised KeyError, ValueError or TypeError before
    tokens were signed (issue #12: 9 cases across ListDatasets and ListSamples)."""
    good = encode_token("ListSamples", {"r": 1, "k": "a", "id": "x"})
    forged = [
        "%%%", "bm90IGpzb24", ".", "a.b.c", good[:-2], good + "A",
        _unsigned({"id": 5, "t": {"a": 1}}), _unsigned({"t": "not a date", "id": "x"}),
        _unsigned({"r": "zz", "k": "a", "id": "x"}), _unsigned([1]),
        encode_token("ListDatasets", {"r": 1, "k": "a", "id": "x"}),  # another listing's
        encode_token("ListSamples", {"r": "zz", "k": "a", "id": "x"}),  # wrong type
        encode_token("ListSamples", {"r": True, "k": "a", "id": "x"}),  # a bool is no int
        encode_token("ListSamples", {"r": 1, "k": "a"}),  # a key missing
    ]
    for token in forged:
        with pytest.raises(InvalidArgument) as caught:
            decode_token(token, "ListSamples", FIELDS)
        assert caught.value.violations[0].field == "page_token", token


def test_tokens_signed_under_another_key_are_refused():
    configure_key("replica key one")
    token = encode_token("ListSamples", {"r": 1, "k": "a", "id": "x"})
    assert decode_token(token, "ListSamples", FIELDS)["r"] == 1  # same key: another replica
    configure_key("another deployment")
    with pytest.raises(InvalidArgument):
        decode_token(token, "ListSamples", FIELDS)


def test_page_size_bounds():
    assert page_size(0) == 100
    assert page_size(7) == 7
    with pytest.raises(InvalidArgument):
        page_size(-1)
    with pytest.raises(InvalidArgument):
        page_size(1001)
