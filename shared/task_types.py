"""The task types of DESIGN.md §1 and what each implies; every service reads this table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SampleKind(StrEnum):
    IMAGE = "image"
    POINTCLOUD = "pointcloud"
    IMAGE_SEQUENCE = "image-sequence"
    POINTCLOUD_SEQUENCE = "pointcloud-sequence"
    MULTISENSOR = "multisensor"


class LabelKind(StrEnum):
    SEGMENTATION_BITMAP = "segmentation-bitmap"
    IMAGE_VECTOR = "image-vector"
    CUBOID = "cuboid"
    POINTCLOUD_VECTOR = "pointcloud-vector"
    POINTCLOUD_SEGMENTATION = "pointcloud-segmentation"
    MULTISENSOR = "multisensor"


class TaskType(StrEnum):
    SEGMENTATION_BITMAP = "segmentation-bitmap"
    SEGMENTATION_BITMAP_HIGHRES = "segmentation-bitmap-highres"
    BBOXES = "bboxes"
    VECTOR = "vector"
    KEYPOINTS = "keypoints"
    IMAGE_VECTOR_SEQUENCE = "image-vector-sequence"
    IMAGE_SEGMENTATION_SEQUENCE = "image-segmentation-sequence"
    POINTCLOUD_CUBOID = "pointcloud-cuboid"
    POINTCLOUD_VECTOR = "pointcloud-vector"
    POINTCLOUD_SEGMENTATION = "pointcloud-segmentation"
    POINTCLOUD_CUBOID_SEQUENCE = "pointcloud-cuboid-sequence"
    POINTCLOUD_VECTOR_SEQUENCE = "pointcloud-vector-sequence"
    POINTCLOUD_SEGMENTATION_SEQUENCE = "pointcloud-segmentation-sequence"
    MULTISENSOR_SEQUENCE = "multisensor-sequence"


@dataclass(frozen=True)
class TaskSpec:
    sample_kind: SampleKind
    label_kind: LabelKind
    is_sequence: bool
    # Geometry types an annotation may have (empty: not a vector task).
    geometries: frozenset[str] = frozenset()


_IMAGE_VECTOR = frozenset({"bbox", "polygon", "polyline", "point"})

TASKS: dict[TaskType, TaskSpec] = {
    TaskType.SEGMENTATION_BITMAP: TaskSpec(SampleKind.IMAGE, LabelKind.SEGMENTATION_BITMAP, False),
    TaskType.SEGMENTATION_BITMAP_HIGHRES: TaskSpec(
        SampleKind.IMAGE, LabelKind.SEGMENTATION_BITMAP, False
    ),
    TaskType.BBOXES: TaskSpec(SampleKind.IMAGE, LabelKind.IMAGE_VECTOR, False,
                              frozenset({"bbox"})),
    TaskType.VECTOR: TaskSpec(SampleKind.IMAGE, LabelKind.IMAGE_VECTOR, False, _IMAGE_VECTOR),
    TaskType.KEYPOINTS: TaskSpec(SampleKind.IMAGE, LabelKind.IMAGE_VECTOR, False,
                                 frozenset({"point", "keypoints"})),
    TaskType.IMAGE_VECTOR_SEQUENCE: TaskSpec(
        SampleKind.IMAGE_SEQUENCE, LabelKind.IMAGE_VECTOR, True, _IMAGE_VECTOR | {"keypoints"}
    ),
    TaskType.IMAGE_SEGMENTATION_SEQUENCE: TaskSpec(
        SampleKind.IMAGE_SEQUENCE, LabelKind.SEGMENTATION_BITMAP, True
    ),
    TaskType.POINTCLOUD_CUBOID: TaskSpec(SampleKind.POINTCLOUD, LabelKind.CUBOID, False,
                                         frozenset({"cuboid"})),
    TaskType.POINTCLOUD_VECTOR: TaskSpec(
        SampleKind.POINTCLOUD, LabelKind.POINTCLOUD_VECTOR, False,
        frozenset({"polygon", "polyline", "point"}),
    ),
    TaskType.POINTCLOUD_SEGMENTATION: TaskSpec(
        SampleKind.POINTCLOUD, LabelKind.POINTCLOUD_SEGMENTATION, False
    ),
    TaskType.POINTCLOUD_CUBOID_SEQUENCE: TaskSpec(
        SampleKind.POINTCLOUD_SEQUENCE, LabelKind.CUBOID, True, frozenset({"cuboid"})
    ),
    TaskType.POINTCLOUD_VECTOR_SEQUENCE: TaskSpec(
        SampleKind.POINTCLOUD_SEQUENCE, LabelKind.POINTCLOUD_VECTOR, True,
        frozenset({"polygon", "polyline", "point"}),
    ),
    TaskType.POINTCLOUD_SEGMENTATION_SEQUENCE: TaskSpec(
        SampleKind.POINTCLOUD_SEQUENCE, LabelKind.POINTCLOUD_SEGMENTATION, True
    ),
    TaskType.MULTISENSOR_SEQUENCE: TaskSpec(SampleKind.MULTISENSOR, LabelKind.MULTISENSOR, True),
}

# Task types a sensor of a multi-sensor sample may have.
SENSOR_TASK_TYPES: frozenset[TaskType] = frozenset(
    t for t, spec in TASKS.items() if spec.is_sequence and t != TaskType.MULTISENSOR_SEQUENCE
)


def spec(task_type: TaskType) -> TaskSpec:
    return TASKS[task_type]
