"""The frames of a sample, read from its attributes (already validated)."""

from __future__ import annotations

from typing import Any

from services.dataset.domain.models import Frame
from shared.errors import InvalidArgument
from shared.task_types import SampleKind, TaskType, spec


def _timestamp(frame: dict[str, Any]) -> float | None:
    value = frame.get("timestamp")
    return None if value is None else float(value)


def _url(frame: dict[str, Any]) -> str:
    holder = frame.get("image") or frame.get("pcd") or {}
    return str(holder.get("url", "")) if isinstance(holder, dict) else ""


def sensor_of(attributes: dict[str, Any], sensor: str) -> tuple[TaskType, dict[str, Any]]:
    """A multi-sensor sample's sensor by name (the first when `sensor` is empty)."""
    sensors = attributes.get("sensors", [])
    for entry in sensors:
        if not sensor or entry.get("name") == sensor:
            return TaskType(entry["task_type"]), entry.get("attributes", {})
    raise InvalidArgument.of("sensor", f"no sensor named {sensor!r}; the sample has "
                                       f"{[s.get('name') for s in sensors]}")


def frames_of(attributes: dict[str, Any], task_type: TaskType,
              sensor: str = "") -> tuple[TaskType, list[Frame]]:
    """The frames of a sample and the task type they belong to."""
    kind = spec(task_type).sample_kind
    if kind is SampleKind.MULTISENSOR:
        sensor_task, sensor_attributes = sensor_of(attributes, sensor)
        return frames_of(sensor_attributes, sensor_task)
    if sensor:
        raise InvalidArgument.of("sensor", "only multi-sensor samples have sensors")
    if kind in (SampleKind.IMAGE, SampleKind.POINTCLOUD):
        return task_type, [Frame(index=0, url=_url(attributes))]
    return task_type, [
        Frame(index=i, name=str(f.get("name", "")), timestamp=_timestamp(f), url=_url(f))
        for i, f in enumerate(attributes.get("frames", []))
    ]


def frame_count(attributes: dict[str, Any], task_type: TaskType) -> int:
    """As many as `frames_of` lists, without building them (a save may hold 100,000)."""
    kind = spec(task_type).sample_kind
    if kind is SampleKind.MULTISENSOR:
        sensor_task, sensor_attributes = sensor_of(attributes, "")
        return frame_count(sensor_attributes, sensor_task)
    if kind in (SampleKind.IMAGE, SampleKind.POINTCLOUD):
        return 1
    return len(attributes.get("frames", []))
