"""Every field a client sets has a limit, and the README's table names every limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from framewise.dataset.v1 import dataset_pb2
from framewise.interpolation.v1 import interpolation_pb2
from framewise.labeling.v1 import labeling_pb2
from framewise.release.v1 import release_pb2
from shared import limits as L
from shared.errors import InvalidArgument
from shared.request_limits import JSON_VALUE, LIST_LIMITS, UNWALKED, check_request, string_limit

SERVICES = [dataset_pb2.DESCRIPTOR.services_by_name["DatasetService"],
            labeling_pb2.DESCRIPTOR.services_by_name["LabelingService"],
            interpolation_pb2.DESCRIPTOR.services_by_name["InterpolationService"],
            release_pb2.DESCRIPTOR.services_by_name["ReleaseService"]]
README = Path(__file__).resolve().parents[3] / "README.md"


def _walked_fields() -> list[FieldDescriptor]:
    """The fields of every request message the limits walk (as request_limits does)."""
    found: list[FieldDescriptor] = []
    seen: set[str] = set()

    def visit(message: Descriptor) -> None:
        if message.full_name in seen or message.full_name == JSON_VALUE:
            return
        seen.add(message.full_name)
        for field in message.fields:
            found.append(field)
            if field.message_type is not None and field.full_name not in UNWALKED:
                visit(field.message_type)

    for service in SERVICES:
        for method in service.methods:
            visit(method.input_type)
    return found


def test_every_list_a_client_sends_has_a_limit():
    missing = [f.full_name for f in _walked_fields()
               if f.is_repeated and f.full_name not in LIST_LIMITS]
    assert missing == []


def test_every_string_has_one_of_the_named_limits():
    named = {value for name, value in vars(L).items() if name.isupper()}
    strings = [f for f in _walked_fields() if f.type == FieldDescriptor.TYPE_STRING]
    assert len(strings) > 100
    assert all(string_limit(f) in named for f in strings)
    by_name = {f.full_name: string_limit(f) for f in strings}
    assert by_name["framewise.dataset.v1.Sample.name"] == L.MAX_SAMPLE_NAME_LENGTH
    assert by_name["framewise.labeling.v1.Label.attributes_json"] == L.MAX_JSON_BYTES
    assert by_name["framewise.labeling.v1.AssignSampleRequest.labeler"] == L.MAX_USER_LENGTH
    assert by_name["framewise.release.v1.CreateReleaseRequest.request_id"] == (
        L.MAX_REQUEST_ID_LENGTH)
    assert by_name["framewise.dataset.v1.Category.name"] == L.MAX_TEXT_LENGTH


def test_every_field_over_its_limit_is_named_at_once():
    request = dataset_pb2.BatchCreateSamplesRequest(dataset_id="d" * (L.MAX_ID_LENGTH + 1))
    request.samples.add(name="ok")
    request.samples.add(name="s" * (L.MAX_SAMPLE_NAME_LENGTH + 1), assigned_labeler="u" * 201)
    with pytest.raises(InvalidArgument) as caught:
        check_request(request)
    assert {v.field: v.description for v in caught.value.violations} == {
        "dataset_id": f"at most {L.MAX_ID_LENGTH} characters, got {L.MAX_ID_LENGTH + 1}",
        "samples[1].name": (f"at most {L.MAX_SAMPLE_NAME_LENGTH} characters, "
                            f"got {L.MAX_SAMPLE_NAME_LENGTH + 1}"),
        "samples[1].assigned_labeler": f"at most {L.MAX_USER_LENGTH} characters, got 201",
    }


def test_the_readme_table_lists_every_limit_with_its_value():
    text = README.read_text()
    section = text[text.index("\n## Limits\n"):]
    section = section[:section.index("\n## ", 1)]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", section,
                                                        re.MULTILINE)}
    limits = {name: value for name, value in vars(L).items()
              if name.startswith(("MAX_", "MIN_")) and isinstance(value, int)}
    assert sorted(rows) == sorted(limits)
    for name, value in limits.items():
        assert f"{value:,}" in rows[name], f"{name}: README says {rows[name]!r}, not {value:,}"
