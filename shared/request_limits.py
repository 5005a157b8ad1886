"""The limits of `shared.limits` on every field of a request, before a servicer sees it.

Strings get a limit by what they hold (see `string_limit`), lists one named per field
(`LIST_LIMITS`). A request over any of them is INVALID_ARGUMENT naming each field and its
limit, and nothing else is done with it: no JSON is parsed, no database is read.
`@enforce_limits(service)` on a servicer class checks the request of every method of the
service (after authentication, which the interceptors do).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from shared import jsondoc
from shared import limits as L
from shared.errors import Violations
from shared.text import name_problem, text_problem

# Repeated fields: full field name -> (at most, what the items are called).
LIST_LIMITS: dict[str, tuple[int, str]] = {
    "framewise.dataset.v1.TaskAttributes.categories": (L.MAX_CATEGORIES, "categories"),
    "framewise.dataset.v1.TaskAttributes.sample_attributes": (L.MAX_ATTRIBUTES, "attributes"),
    "framewise.dataset.v1.Category.attributes": (L.MAX_ATTRIBUTES, "attributes"),
    "framewise.dataset.v1.Category.keypoint_names": (L.MAX_KEYPOINT_NAMES, "keypoint names"),
    "framewise.dataset.v1.AttributeDefinition.values": (L.MAX_ATTRIBUTE_VALUES, "values"),
    "framewise.dataset.v1.BatchCreateSamplesRequest.samples": (L.MAX_BATCH_SAMPLES, "samples"),
    "google.protobuf.FieldMask.paths": (L.MAX_MASK_PATHS, "paths"),
    "framewise.interpolation.v1.InlineTracks.tracks": (L.MAX_TRACKS, "tracks"),
    "framewise.interpolation.v1.InlineTracks.timestamps": (L.MAX_INLINE_FRAMES, "timestamps"),
    "framewise.interpolation.v1.StreamFrameStatesRequest.track_ids": (L.MAX_TRACKS, "track ids"),
    "framewise.interpolation.v1.GetFrameStateRequest.track_ids": (L.MAX_TRACKS, "track ids"),
}
# Lists whose items are not walked here: the service reads them in one pass of its own
# and checks them there (tracks: keyframes per track, vertices, visibility and attributes,
# by services/interpolation/api/converters.py; walking 100,000 tracks here would double it).
UNWALKED = frozenset({"framewise.interpolation.v1.InlineTracks.tracks"})
# Numbers the service checks itself, vectorised (up to 10 million timestamps: a Python
# loop here would cost a second): domain/validation.check_timestamps.
CHECKED_BY_SERVICE = frozenset({"framewise.interpolation.v1.InlineTracks.timestamps"})
# JSON carried as google.protobuf.Value: checked as a JSON document.
JSON_VALUE = "google.protobuf.Value"

_USER_FIELDS = frozenset({"user", "labeler", "owner", "assigned_labeler", "assigned_reviewer",
                          "created_by", "updated_by", "reviewed_by"})
_STRING_OVERRIDES = {
    "framewise.dataset.v1.Sample.name": L.MAX_SAMPLE_NAME_LENGTH,
    "framewise.dataset.v1.Category.name": L.MAX_TEXT_LENGTH,
    "framewise.dataset.v1.AttributeDefinition.name": L.MAX_TEXT_LENGTH,
    "framewise.dataset.v1.ListSamplesRequest.metadata_filter_json": L.MAX_FILTER_JSON_LENGTH,
}


# Names people are shown: not blank, no control or bidi-override characters.
NAME_FIELDS = frozenset({
    "framewise.dataset.v1.Dataset.name",
    "framewise.dataset.v1.Sample.name",
    "framewise.dataset.v1.LabelSet.name",
    "framewise.dataset.v1.Category.name",
    "framewise.dataset.v1.Category.keypoint_names",
    "framewise.dataset.v1.AttributeDefinition.name",
    "framewise.release.v1.Release.name",
})


def string_limit(field: FieldDescriptor) -> int:
    """The most characters a string field may hold."""
    name = field.name
    if field.full_name in _STRING_OVERRIDES:
        return _STRING_OVERRIDES[field.full_name]
    if name == "request_id":
        return L.MAX_REQUEST_ID_LENGTH
    if name.endswith("_json"):
        return L.MAX_JSON_BYTES
    if name == "id" or name.endswith("_id") or name == "etag":
        return L.MAX_ID_LENGTH
    if name == "page_token":
        return L.MAX_PAGE_TOKEN_LENGTH
    if name in ("description", "failure_reason"):
        return L.MAX_DESCRIPTION_LENGTH
    if name in _USER_FIELDS:
        return L.MAX_USER_LENGTH
    if name in ("name", "label_set"):
        return L.MAX_NAME_LENGTH
    return L.MAX_TEXT_LENGTH


@functools.cache
def _string_limit(field: FieldDescriptor) -> int:
    return string_limit(field)


def _check_json_value(violations: Violations, value: Message, path: str) -> None:
    try:
        document = json_format.MessageToDict(value)
    except ValueError:  # a NaN or Infinity number_value: JSON has neither
        violations.add(path, "must be a finite number (no NaN or Infinity: strict JSON has "
                             "neither)")
        return
    problem = jsondoc.document_problem(document, path)
    if problem is not None:
        violations.add(*problem)


def _check_strings(violations: Violations, field: FieldDescriptor, path: str,
                   items: Any, repeated: bool) -> None:
    most = _string_limit(field)
    check = name_problem if field.full_name in NAME_FIELDS else text_problem
    for i, text in enumerate(items):
        where = f"{path}[{i}]" if repeated else path
        if len(text) > most:
            violations.add(where, f"at most {most} characters, got {len(text)}")
        elif (problem := check(text)) is not None:
            violations.add(where, problem)


def _check_scalars(violations: Violations, field: FieldDescriptor, path: str,
                   items: Any, repeated: bool) -> None:
    """Enum values the contract defines; finite floating-point numbers."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = field.enum_type.values_by_number
        for i, number in enumerate(items):
            if number not in known:
                violations.add(f"{path}[{i}]" if repeated else path,
                               f"{number} is not a value of {field.enum_type.full_name}")
    elif field.type in _FLOATS:
        for i, number in enumerate(items):
            if not math.isfinite(number):
                violations.add(f"{path}[{i}]" if repeated else path,
                               "must be a finite number")


_FLOATS = frozenset({FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT})


def _walk(violations: Violations, message: Message, prefix: str) -> None:
    for field, value in message.ListFields():
        if len(violations.items) >= L.MAX_VIOLATIONS:
            return
        path = f"{prefix}{field.name}"
        repeated = field.is_repeated
        if repeated:
            limit = LIST_LIMITS.get(field.full_name)
            if limit is not None and len(value) > limit[0]:
                violations.add(path, f"at most {limit[0]} {limit[1]}, got {len(value)}")
                continue
        if field.type == FieldDescriptor.TYPE_STRING:
            _check_strings(violations, field, path, value if repeated else (value,), repeated)
        elif field.type != FieldDescriptor.TYPE_MESSAGE:
            if field.full_name in CHECKED_BY_SERVICE:
                continue
            _check_scalars(violations, field, path, value if repeated else (value,), repeated)
        else:
            if field.full_name in UNWALKED:
                continue
            if field.message_type.full_name == JSON_VALUE:
                _check_json_value(violations, value, path)
            elif repeated:
                for i, item in enumerate(value):
                    _walk(violations, item, f"{path}[{i}].")
            else:
                _walk(violations, value, f"{path}.")


def check_request(request: Message) -> None:
    """INVALID_ARGUMENT naming every field of `request` over its limit."""
    violations = Violations()
    _walk(violations, request, "")
    violations.raise_if_any()


F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)


def _checked(method: F) -> F:
    if inspect.isasyncgenfunction(method):
        @functools.wraps(method)
        async def stream(self: Any, request: Message, context: Any) -> AsyncIterator[Any]:
            check_request(request)
            async for item in method(self, request, context):
                yield item

        return stream  # type: ignore[return-value]

    @functools.wraps(method)
    async def unary(self: Any, request: Message, context: Any) -> Any:
        check_request(request)
        return await method(self, request, context)

    return unary  # type: ignore[return-value]


def enforce_limits(service: ServiceDescriptor) -> Callable[[C], C]:
    """A class decorator: every method of `service` checks its request first."""
    def decorate(cls: C) -> C:
        for method in service.methods:
            setattr(cls, method.name, _checked(getattr(cls, method.name)))
        return cls

    return decorate
