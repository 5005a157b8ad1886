"""The SDK's Python types: what goes in and comes out of a client, never protobuf.

Enum-like values are the lower-case, dash-separated names used in the label formats and
the docs: task types (`"image-vector-sequence"`), label statuses (`"labeled"`), roles
(`"labeler"`), release statuses (`"succeeded"`), geometry types (`"bbox"`) and export
formats (`"coco-instance"`). JSON documents (attributes, metadata) are dicts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

JSON = dict[str, Any]


@dataclass
class AttributeDefinition:
    """An attribute of a category (or of a sample): `input_type` select, multiselect,
    text, number, checkbox, vector3 or quaternion."""

    name: str
    input_type: str
    values: list[str] = field(default_factory=list)
    min: float | None = None
    max: float | None = None
    step: float | None = None
    default_value: Any = None
    is_mandatory: bool = False
    is_track_level: bool = False


@dataclass
class Category:
    id: int
    name: str
    color: str = ""
    attributes: list[AttributeDefinition] = field(default_factory=list)
    keypoint_names: list[str] = field(default_factory=list)


@dataclass
class TaskAttributes:
    categories: list[Category] = field(default_factory=list)
    sample_attributes: list[AttributeDefinition] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: JSON) -> TaskAttributes:
        """From the JSON shape `{"categories": [{"id", "name", "attributes": [...]}]}`."""
        return cls(
            categories=[
                Category(**{**c, "attributes": [AttributeDefinition(**a)
                                                 for a in c.get("attributes", [])]})
                for c in data.get("categories", [])
            ],
            sample_attributes=[AttributeDefinition(**a)
                               for a in data.get("sample_attributes", [])],
        )

    def to_dict(self) -> JSON:
        return asdict(self)


@dataclass
class DatasetSettings:
    interpolation_mode: str = "frame-index"  # or "timestamp"
    extrapolate_cuboid_position: bool = False


@dataclass
class Dataset:
    id: str
    name: str
    task_type: str
    owner: str = ""
    description: str = ""
    task_attributes: TaskAttributes = field(default_factory=TaskAttributes)
    settings: DatasetSettings = field(default_factory=DatasetSettings)
    metadata: JSON = field(default_factory=dict)
    sample_count: int = 0
    revision: int = 0
    etag: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass
class NewSample:
    """A sample to add: `attributes` shaped by the task type (`{"image": {"url": ...}}`,
    `{"pcd": {...}}`, `{"frames": [...]}`)."""

    name: str
    attributes: JSON
    metadata: JSON = field(default_factory=dict)
    priority: int = 0
    assigned_labeler: str = ""
    assigned_reviewer: str = ""


@dataclass
class Sample:
    id: str
    dataset_id: str
    name: str
    attributes: JSON = field(default_factory=dict)
    metadata: JSON = field(default_factory=dict)
    priority: int = 0
    assigned_labeler: str = ""
    assigned_reviewer: str = ""
    created_by: str = ""
    frame_count: int = 0
    revision: int = 0
    etag: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass
class Frame:
    """One frame of a sample (a single image or point cloud has one)."""

    index: int
    name: str = ""
    timestamp: float | None = None
    url: str = ""


@dataclass
class LabelSet:
    dataset_id: str
    name: str
    description: str = ""
    is_default: bool = False
    create_time: datetime | None = None


@dataclass
class Collaborator:
    dataset_id: str
    user: str
    role: str
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass
class Label:
    sample_id: str
    label_set: str
    attributes: JSON = field(default_factory=dict)
    status: str = ""
    score: float | None = None
    dataset_id: str = ""
    created_by: str = ""
    updated_by: str = ""
    reviewed_by: str = ""
    etag: str = ""
    revision: int = 0
    deleted: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None
    review_time: datetime | None = None


@dataclass
class Release:
    id: str
    dataset_id: str
    name: str
    status: str
    description: str = ""
    failure_reason: str = ""
    sample_count: int = 0
    file_size_bytes: int = 0
    content_sha256: str = ""
    dataset_revision: int = 0
    label_revision: int = 0
    created_by: str = ""
    create_time: datetime | None = None
    complete_time: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")


@dataclass
class Keyframe:
    """A keyframe of an inline track: coordinates laid out as for `ObjectState`, or
    `removed=True` for a remove-keyframe."""

    frame: int
    coordinates: list[float] = field(default_factory=list)
    removed: bool = False
    visibility: list[int] = field(default_factory=list)
    attributes: JSON = field(default_factory=dict)


@dataclass
class Track:
    track_id: int
    category_id: int
    geometry_type: str  # bbox, point, polygon, polyline, keypoints, cuboid
    keyframes: list[Keyframe]
    dimensions: int = 2
    track_attributes: JSON = field(default_factory=dict)


@dataclass
class ObjectState:
    """One object on one frame. Coordinates: bbox `[x0, y0, x1, y1]`; point, polygon,
    polyline, keypoints `[x0, y0, x1, y1, ...]`; cuboid `[px, py, pz, dx, dy, dz, yaw]`
    (then `[qx, qy, qz, qw]` when rotated)."""

    track_id: int
    category_id: int
    geometry_type: str
    is_keyframe: bool
    coordinates: list[float]
    visibility: list[int] = field(default_factory=list)
    attributes: JSON = field(default_factory=dict)


@dataclass
class FrameState:
    frame: int
    objects: list[ObjectState]
    timestamp: float | None = None
    frame_count: int = 0


@dataclass
class ExportedFile:
    path: str
    size: int
