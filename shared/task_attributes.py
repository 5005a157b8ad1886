"""A dataset's task attributes: its categories and the attribute definitions of its
categories and samples. The dataset service owns them; the labeling service reads them
from it to validate labels. One model for both, plain Python: the dataset service's
converters and codec build it from protobuf and JSON, the labeling service's dataset peer
from the dataset service's reply. Whether a value fits a definition is
shared.attribute_values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any


class InputType(StrEnum):
    SELECT = "select"
    MULTISELECT = "multiselect"
    TEXT = "text"
    NUMBER = "number"
    CHECKBOX = "checkbox"
    VECTOR3 = "vector3"
    QUATERNION = "quaternion"


@dataclass(frozen=True)
class AttributeDefinition:
    name: str
    input_type: InputType
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    step: float | None = None
    # A JSON value (None: no default).
    default: Any = None
    is_mandatory: bool = False
    # Sequences: one value for the whole track rather than one per frame.
    is_track_level: bool = False

    @cached_property
    def allowed_values(self) -> frozenset[str]:
        # A set: a label may check thousands of values against a long list.
        return frozenset(self.values)


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    color: str = ""
    attributes: tuple[AttributeDefinition, ...] = ()
    keypoint_names: tuple[str, ...] = ()

    @cached_property
    def attributes_by_name(self) -> Mapping[str, AttributeDefinition]:
        return {d.name: d for d in self.attributes}


@dataclass(frozen=True)
class TaskAttributes:
    categories: tuple[Category, ...] = ()
    sample_attributes: tuple[AttributeDefinition, ...] = ()

    @cached_property
    def categories_by_id(self) -> Mapping[int, Category]:
        return {c.id: c for c in self.categories}

    @cached_property
    def sample_attributes_by_name(self) -> Mapping[str, AttributeDefinition]:
        return {d.name: d for d in self.sample_attributes}

    def category(self, category_id: int) -> Category | None:
        return self.categories_by_id.get(category_id)
