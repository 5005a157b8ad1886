"""The dataset domain's checks, without a server or a database."""

from __future__ import annotations

import pytest

from services.dataset.domain.frames import frames_of
from services.dataset.domain.validation import check_sample_attributes, value_fits
from shared.errors import InvalidArgument, Violations
from shared.task_attributes import AttributeDefinition, InputType
from shared.task_types import TaskType


@pytest.mark.parametrize(("definition", "value", "fits"), [
    (AttributeDefinition("a", InputType.SELECT, ("x", "y")), "x", True),
    (AttributeDefinition("a", InputType.SELECT, ("x", "y")), "z", False),
    (AttributeDefinition("a", InputType.MULTISELECT, ("x", "y")), ["x", "y"], True),
    (AttributeDefinition("a", InputType.MULTISELECT, ("x", "y")), ["x", "q"], False),
    (AttributeDefinition("a", InputType.NUMBER, min=0, max=1), 0.5, True),
    (AttributeDefinition("a", InputType.NUMBER, min=0, max=1), 1.5, False),
    (AttributeDefinition("a", InputType.NUMBER), True, False),
    (AttributeDefinition("a", InputType.NUMBER), float("nan"), False),
    (AttributeDefinition("a", InputType.CHECKBOX), False, True),
    (AttributeDefinition("a", InputType.CHECKBOX), 0, False),
    (AttributeDefinition("a", InputType.TEXT), "hello", True),
    (AttributeDefinition("a", InputType.VECTOR3), [1, 2, 3], True),
    (AttributeDefinition("a", InputType.VECTOR3), [1, 2], False),
    (AttributeDefinition("a", InputType.QUATERNION), [0, 0, 0, 1], True),
    (AttributeDefinition("a", InputType.QUATERNION), [0, 0, "0", 1], False),
])
def test_value_fits_its_definition(definition, value, fits):
    assert (value_fits(definition, value) is None) == fits


def test_every_problem_of_a_sequence_is_reported_at_once():
    violations = Violations()
    check_sample_attributes(violations, {"frames": [
        {"image": {"url": "a"}}, {"image": {}}, {"image": {"url": "c"}, "timestamp": "x"},
    ]}, TaskType.IMAGE_VECTOR_SEQUENCE, "sample")
    assert [v.field for v in violations.items] == [
        "sample.frames[1].image.url", "sample.frames[2].timestamp"]


def test_frames_of_every_sample_kind():
    assert len(frames_of({"image": {"url": "u"}}, TaskType.BBOXES)[1]) == 1
    task, frames = frames_of({"frames": [{"pcd": {"url": "p"}, "timestamp": "12.5"}] * 3},
                             TaskType.POINTCLOUD_CUBOID_SEQUENCE)
    assert task is TaskType.POINTCLOUD_CUBOID_SEQUENCE
    assert [f.timestamp for f in frames] == [12.5] * 3
    multi = {"sensors": [
        {"name": "lidar", "task_type": "pointcloud-cuboid-sequence",
         "attributes": {"frames": [{"pcd": {"url": "p"}}] * 2}},
        {"name": "cam", "task_type": "image-vector-sequence",
         "attributes": {"frames": [{"image": {"url": "i"}}] * 4}},
    ]}
    assert len(frames_of(multi, TaskType.MULTISENSOR_SEQUENCE)[1]) == 2
    task, cam = frames_of(multi, TaskType.MULTISENSOR_SEQUENCE, "cam")
    assert (task, len(cam)) == (TaskType.IMAGE_VECTOR_SEQUENCE, 4)
    with pytest.raises(InvalidArgument):
        frames_of(multi, TaskType.MULTISENSOR_SEQUENCE, "radar")
