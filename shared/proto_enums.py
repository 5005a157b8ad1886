"""Protobuf enums to the domain's string enums and back, by name, for every service."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from framewise.common.v1 import common_pb2
from shared.errors import InvalidArgument
from shared.task_types import TaskType

E = TypeVar("E", bound=StrEnum)


def _prefix(wrapper: EnumTypeWrapper) -> str:
    # TASK_TYPE_UNSPECIFIED -> TASK_TYPE_
    return str(wrapper.Name(0)).removesuffix("UNSPECIFIED")


def from_proto(wrapper: EnumTypeWrapper, value: int, target: type[E], field: str) -> E:
    """TASK_TYPE_IMAGE_VECTOR_SEQUENCE -> TaskType("image-vector-sequence")."""
    if value == 0:
        raise InvalidArgument.of(field, "required")
    try:
        name = wrapper.Name(value)
    except ValueError as exc:
        raise InvalidArgument.of(field, f"unknown value {value}") from exc
    return target(name.removeprefix(_prefix(wrapper)).lower().replace("_", "-"))


def to_proto(wrapper: EnumTypeWrapper, value: StrEnum) -> int:
    return int(wrapper.Value(_prefix(wrapper) + value.value.upper().replace("-", "_")))


def task_type_from_proto(value: int, field: str) -> TaskType:
    return from_proto(common_pb2.TaskType, value, TaskType, field)


def task_type_to_proto(value: TaskType) -> int:
    return to_proto(common_pb2.TaskType, value)
