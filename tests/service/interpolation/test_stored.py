"""StreamFrameStates from a label stored in the labeling service, frames from the dataset."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from services.dataset.app import build_server as build_dataset
from services.interpolation.app import build_server as build_interpolation
from services.labeling.app import build_server as build_labeling
from tests.support.databases import database_url
from tests.support.errors import expect_error
from tests.support.services import running, test_config


@dataclass
class Suite:
    dataset: dataset_pb2_grpc.DatasetServiceStub
    labeling: labeling_pb2_grpc.LabelingServiceStub
    interpolation: interpolation_pb2_grpc.InterpolationServiceStub


@pytest.fixture
async def suite(db_kind: str, db_url: str, tmp_path: Path) -> AsyncIterator[Suite]:
    async with (
        database_url(db_kind, tmp_path, "dataset") as dataset_url,
        running(build_dataset, test_config("dataset", dataset_url, tmp_path)) as (ds, ds_ch),
    ):
        dataset_address = f"127.0.0.1:{ds.port}"
        labeling_config = test_config("labeling", db_url, tmp_path,
                                      peers={"dataset": dataset_address})
        async with running(build_labeling, labeling_config) as (lb, lb_ch):
            config = test_config("interpolation", "sqlite+aiosqlite:///unused", tmp_path, peers={
                "dataset": dataset_address, "labeling": f"127.0.0.1:{lb.port}"})
            async with running(build_interpolation, config) as (_, ip_ch):
                yield Suite(dataset_pb2_grpc.DatasetServiceStub(ds_ch),
                            labeling_pb2_grpc.LabelingServiceStub(lb_ch),
                            interpolation_pb2_grpc.InterpolationServiceStub(ip_ch))


def _categories() -> dpb.TaskAttributes:
    return dpb.TaskAttributes(categories=[dpb.Category(id=1, name="car", attributes=[
        dpb.AttributeDefinition(name="color", input_type=dpb.ATTRIBUTE_INPUT_TYPE_SELECT,
                                values=["red", "blue"], is_track_level=True),
        dpb.AttributeDefinition(name="occluded", input_type=dpb.ATTRIBUTE_INPUT_TYPE_CHECKBOX),
    ])])


async def _sequence(suite: Suite, task_type: int, frames: list[dict],
                    settings: dpb.DatasetSettings | None = None) -> dpb.Sample:
    dataset = await suite.dataset.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name="drives", task_type=task_type, task_attributes=_categories(), settings=settings)))
    return await suite.dataset.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
        dataset_id=dataset.id, name="seq", attributes_json=json.dumps({"frames": frames}))))


def _box(frame_track: int, points, **extra) -> dict:
    return {"id": frame_track, "track_id": frame_track, "category_id": 1, "type": "bbox",
            "points": points, "is_keyframe": True, **extra}


async def _stream(suite: Suite, request: pb.StreamFrameStatesRequest) -> list[pb.FrameState]:
    frames: list[pb.FrameState] = []
    async for response in suite.interpolation.StreamFrameStates(request):
        frames += list(response.frames)
    return frames


async def test_a_stored_image_sequence_label_streams_every_frame(suite):
    images = [{"image": {"url": f"u{i}"}, "timestamp": i * 10} for i in range(8)]
    sample = await _sequence(suite, common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE, images)
    label = {"format_version": "0.2", "frames": [{"annotations": []} for _ in range(8)]}
    label["frames"][0]["annotations"] = [_box(1, [[0, 0], [10, 10]], attributes={
        "color": "red", "occluded": False})]
    label["frames"][4]["annotations"] = [_box(1, [[40, 0], [50, 10]], attributes={
        "color": "red", "occluded": True})]
    label["frames"][6]["annotations"] = [{"track_id": 1, "category_id": 1, "type": "bbox",
                                          "is_keyframe": True, "removed": True}]
    saved = await suite.labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
        sample_id=sample.id, attributes_json=json.dumps(label))))
    frames = await _stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel(sample_id=sample.id)))
    assert [f.frame for f in frames] == list(range(8))
    assert [f.timestamp for f in frames] == [i * 10 for i in range(8)]
    assert [len(f.objects) for f in frames] == [1] * 6 + [0, 0]
    assert list(frames[2].objects[0].coordinates) == [20, 0, 30, 10]
    assert not frames[2].objects[0].is_keyframe and frames[4].objects[0].is_keyframe
    assert json.loads(frames[2].objects[0].attributes_json) == {"occluded": False,
                                                                "color": "red"}
    assert json.loads(frames[5].objects[0].attributes_json) == {"occluded": True,
                                                                "color": "red"}

    # The label as it was at an earlier revision.
    label["frames"][4]["annotations"][0]["points"] = [[80, 0], [90, 10]]
    await suite.labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
        sample_id=sample.id, attributes_json=json.dumps(label), etag=saved.etag)))
    now = await suite.interpolation.GetFrameState(pb.GetFrameStateRequest(
        stored_label=pb.StoredLabel(sample_id=sample.id), frame=2))
    then = await suite.interpolation.GetFrameState(pb.GetFrameStateRequest(
        stored_label=pb.StoredLabel(sample_id=sample.id, revision=saved.revision), frame=2))
    assert list(now.frame_state.objects[0].coordinates) == [40, 0, 50, 10]
    assert list(then.frame_state.objects[0].coordinates) == [20, 0, 30, 10]


async def test_a_stored_cuboid_sequence_by_timestamp(suite):
    clouds = [{"pcd": {"url": f"p{i}"}, "timestamp": t} for i, t in enumerate([0, 1, 3, 4])]
    sample = await _sequence(
        suite, common_pb2.TASK_TYPE_POINTCLOUD_CUBOID_SEQUENCE, clouds,
        dpb.DatasetSettings(interpolation_mode=common_pb2.INTERPOLATION_MODE_TIMESTAMP))

    def cuboid(x: float, yaw: float) -> dict:
        return {"id": 1, "track_id": 1, "category_id": 1, "type": "cuboid", "is_keyframe": True,
                "position": {"x": x, "y": 0, "z": 0}, "dimensions": {"x": 4, "y": 2, "z": 1.5},
                "yaw": yaw, "attributes": {"color": "blue", "occluded": False}}

    label = {"format_version": "0.2", "frames": [
        {"annotations": [cuboid(0, 0.0)]}, {"annotations": []}, {"annotations": []},
        {"annotations": [cuboid(8, math.pi)]}]}
    await suite.labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
        sample_id=sample.id, attributes_json=json.dumps(label))))
    frames = await _stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel(sample_id=sample.id)))
    at_one = list(frames[1].objects[0].coordinates)
    assert at_one == pytest.approx([2, 0, 0, 4, 2, 1.5, math.pi / 4])  # t = 1/4 by time
    assert frames[1].objects[0].geometry_type == common_pb2.GEOMETRY_TYPE_CUBOID


async def test_stored_label_errors(suite):
    images = [{"image": {"url": "u"}}] * 3
    sample = await _sequence(suite, common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE, images)
    await expect_error(_stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel(sample_id=sample.id))), grpc.StatusCode.NOT_FOUND)
    await expect_error(_stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel(sample_id="no-such-sample"))), grpc.StatusCode.NOT_FOUND)
    await expect_error(_stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel())), grpc.StatusCode.INVALID_ARGUMENT,
        "stored_label.sample_id")
    # Issue #12: was FAILED_PRECONDITION (the labeling service's answer, translated).
    await expect_error(_stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel(sample_id=sample.id, revision=-1))),
        grpc.StatusCode.INVALID_ARGUMENT, "stored_label.revision")
    bitmap = await suite.dataset.CreateDataset(dpb.CreateDatasetRequest(dataset=dpb.Dataset(
        name="masks", task_type=common_pb2.TASK_TYPE_IMAGE_SEGMENTATION_SEQUENCE,
        task_attributes=_categories())))
    masks = await suite.dataset.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
        dataset_id=bitmap.id, name="m", attributes_json=json.dumps({"frames": images}))))
    await suite.labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
        sample_id=masks.id, attributes_json=json.dumps({"format_version": "0.2", "frames": [
            {"annotations": [], "segmentation_bitmap": {"url": "b"}}] * 3}))))
    await expect_error(_stream(suite, pb.StreamFrameStatesRequest(
        stored_label=pb.StoredLabel(sample_id=masks.id))), grpc.StatusCode.FAILED_PRECONDITION)
