"""A stored label as the engine's input: the label from the labeling service, its frames
and settings from the dataset service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
import numpy as np

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2, dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.labeling.v1 import labeling_pb2, labeling_pb2_grpc
from services.interpolation.domain import (
    InterpolationInputError,
    InterpolationOptions,
)
from services.interpolation.domain.sequence_labels import tracks_from_label
from services.interpolation.domain.source import Source
from services.interpolation.domain.validation import table_from_tracks
from shared import jsondoc
from shared.errors import FailedPrecondition, InvalidArgument, NotFound
from shared.labels.sequences import sensor_label
from shared.peers import DEFAULT_DEADLINE_S, translate
from shared.proto_enums import task_type_from_proto
from shared.task_types import LabelKind, TaskType, spec

INTERPOLATED_LABELS = frozenset({LabelKind.IMAGE_VECTOR, LabelKind.CUBOID,
                                 LabelKind.POINTCLOUD_VECTOR})

def _track_level_names(dataset: dataset_pb2.Dataset) -> dict[int, frozenset[str]]:
    return {c.id: frozenset(a.name for a in c.attributes if a.is_track_level)
            for c in dataset.task_attributes.categories}


class StoredLabels:
    """Reads stored labels and their sequences from the labeling and dataset services."""

    def __init__(self, labeling: grpc.aio.Channel, dataset: grpc.aio.Channel) -> None:
        self.labels = labeling_pb2_grpc.LabelingServiceStub(labeling)
        self.datasets = dataset_pb2_grpc.DatasetServiceStub(dataset)

    async def source(self, message: pb.StoredLabel) -> Source:
        """Read as the caller: the channels forward the token of the call being served."""
        if not message.sample_id:
            raise InvalidArgument.of("stored_label.sample_id", "required")
        if message.revision < 0:  # checked here: a peer's INVALID_ARGUMENT would not name it
            raise InvalidArgument.of("stored_label.revision", "must not be negative")
        label_set = message.label_set or "ground-truth"
        key = f"{message.sample_id}/{label_set}"
        try:
            label = await self.labels.GetLabel(labeling_pb2.GetLabelRequest(
                sample_id=message.sample_id, label_set=label_set, revision=message.revision),
                timeout=DEFAULT_DEADLINE_S)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "labeling", "label", key) from exc
        if label.deleted:
            raise NotFound("label", key)
        try:
            dataset = await self.datasets.GetDataset(dataset_pb2.GetDatasetRequest(
                dataset_id=label.dataset_id), timeout=DEFAULT_DEADLINE_S)
            frames = await self.datasets.GetSampleFrames(dataset_pb2.GetSampleFramesRequest(
                sample_id=message.sample_id, sensor=message.sensor),
                timeout=DEFAULT_DEADLINE_S)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument.of("stored_label.sensor", exc.details() or "") from exc
            raise translate(exc, "dataset", "sample", message.sample_id) from exc
        task_type = task_type_from_proto(frames.task_type, "stored_label")
        return self._source(label, dataset, frames, task_type, message.sensor)

    def _source(self, label: labeling_pb2.Label, dataset: dataset_pb2.Dataset,
                frames: dataset_pb2.GetSampleFramesResponse, task_type: TaskType,
                sensor: str) -> Source:
        if not (spec(task_type).is_sequence and spec(task_type).label_kind in INTERPOLATED_LABELS):
            raise FailedPrecondition(f"{task_type.value} labels have no keyframe interpolation",
                                     reason="NOT_INTERPOLATED")
        document: Mapping[str, Any] = jsondoc.parse_object(label.attributes_json, "label")
        if dataset.task_type == common_pb2.TASK_TYPE_MULTISENSOR_SEQUENCE:
            document = sensor_label(document, sensor) or {"frames": []}
        try:
            tracks = table_from_tracks(tracks_from_label(document, _track_level_names(dataset)))
        except InterpolationInputError as exc:
            raise FailedPrecondition(f"the stored label is not interpolable: {exc}") from exc
        stamps = [f.timestamp if f.HasField("timestamp") else None for f in frames.frames]
        known = np.array(stamps, dtype=np.float64) if None not in stamps else None
        by_time = (dataset.settings.interpolation_mode == common_pb2.INTERPOLATION_MODE_TIMESTAMP
                   and known is not None)
        options = InterpolationOptions(
            by_timestamp=by_time,
            extrapolate_cuboid_position=dataset.settings.extrapolate_cuboid_position,
        )
        return Source(tracks, len(frames.frames), known if by_time else None, known, options,
                      "stored_label")
