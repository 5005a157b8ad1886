"""One task-attribute model (shared/task_attributes.py): the dataset service builds it
from its requests, the labeling service from the dataset service's replies; both must
read the same message into the same value, every field included (the copies drifted
once: labeling's lacked step, default and color)."""

from __future__ import annotations

from google.protobuf import struct_pb2

from framewise.dataset.v1 import dataset_pb2 as pb
from services.dataset.api.converters import task_attributes_from_proto, task_attributes_to_proto
from services.labeling.peers import dataset as labeling_peer
from shared.task_attributes import AttributeDefinition, Category, InputType, TaskAttributes


def _message() -> pb.TaskAttributes:
    speed = pb.AttributeDefinition(
        name="speed", input_type=pb.ATTRIBUTE_INPUT_TYPE_NUMBER, min=0, max=50, step=0.5,
        default_value=struct_pb2.Value(number_value=10), is_mandatory=True)
    lane = pb.AttributeDefinition(name="lane", input_type=pb.ATTRIBUTE_INPUT_TYPE_SELECT,
                                  values=["left", "right"], is_track_level=True,
                                  default_value=struct_pb2.Value(string_value="left"))
    night = pb.AttributeDefinition(name="night", input_type=pb.ATTRIBUTE_INPUT_TYPE_CHECKBOX)
    return pb.TaskAttributes(
        categories=[pb.Category(id=1, name="car", color="#ff0000", attributes=[speed, lane]),
                    pb.Category(id=2, name="face", keypoint_names=["left", "right"])],
        sample_attributes=[night])


EXPECTED = TaskAttributes(
    categories=(
        Category(1, "car", "#ff0000", (
            AttributeDefinition("speed", InputType.NUMBER, min=0, max=50, step=0.5, default=10,
                                is_mandatory=True),
            AttributeDefinition("lane", InputType.SELECT, values=("left", "right"),
                                default="left", is_track_level=True),
        )),
        Category(2, "face", keypoint_names=("left", "right")),
    ),
    sample_attributes=(AttributeDefinition("night", InputType.CHECKBOX),),
)


def test_both_services_read_the_same_model() -> None:
    assert task_attributes_from_proto(_message(), "dataset.task_attributes") == EXPECTED
    assert labeling_peer.task_attributes_from_proto(_message()) == EXPECTED


def test_what_the_dataset_service_answers_the_labeling_service_reads_back() -> None:
    answered = task_attributes_to_proto(EXPECTED)
    assert labeling_peer.task_attributes_from_proto(answered) == EXPECTED


def test_lookups() -> None:
    car = EXPECTED.category(1)
    assert car is not None and car.attributes_by_name["speed"].step == 0.5
    assert EXPECTED.category(3) is None
    assert list(EXPECTED.sample_attributes_by_name) == ["night"]
    assert EXPECTED.sample_attributes[0].allowed_values == frozenset()
