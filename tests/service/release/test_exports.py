"""ExportRelease: COCO instances, YOLO, the release JSON; unsupported combinations."""

from __future__ import annotations

import json
from typing import Any

import grpc

from framewise.common.v1 import common_pb2
from framewise.release.v1 import release_pb2 as pb
from tests.service.release.helpers import Suite, bbox, image_label
from tests.support.errors import expect_error

POLYGON = {"id": 3, "category_id": 2, "type": "polygon",
           "points": [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0]], "attributes": {}}


async def _vector_release(suite: Suite, *, size: bool = True) -> pb.Release:
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_VECTOR)
    samples = await suite.add_images(dataset, 3, size=size)
    await suite.save(samples[0].id, image_label(bbox(1, x=100), POLYGON))
    await suite.save(samples[1].id, image_label(bbox(1, x=0)))
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    assert done.status == pb.RELEASE_STATUS_SUCCEEDED, done.failure_reason
    return done


async def test_coco_instances_of_boxes_and_polygons(suite: Suite):
    done = await _vector_release(suite)
    files = await suite.export(done.id, pb.EXPORT_FORMAT_COCO_INSTANCE)
    assert list(files) == ["annotations/instances_ground-truth.json"]
    coco = json.loads(files["annotations/instances_ground-truth.json"])
    assert [c["name"] for c in coco["categories"]] == ["car", "person"]
    images = {i["file_name"]: i for i in coco["images"]}
    assert sorted(images) == ["img0000", "img0001", "img0002"]
    assert images["img0000"]["width"] == 640 and images["img0000"]["height"] == 480
    by_image: dict[int, list[dict[str, Any]]] = {}
    for annotation in coco["annotations"]:
        by_image.setdefault(annotation["image_id"], []).append(annotation)
    box, polygon = by_image[images["img0000"]["id"]]
    assert box["bbox"] == [100.0, 2.0, 10.0, 20.0] and box["area"] == 200.0
    assert box["category_id"] == 1 and box["iscrowd"] == 0
    assert polygon["segmentation"] == [[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]]
    assert polygon["area"] == 6.0 and polygon["bbox"] == [0.0, 0.0, 4.0, 3.0]
    assert len(by_image[images["img0001"]["id"]]) == 1
    assert images["img0002"]["id"] not in by_image
    assert len({a["id"] for a in coco["annotations"]}) == 3


async def test_yolo_boxes_normalised_with_a_classes_file(suite: Suite):
    done = await _vector_release(suite)
    files = await suite.export(done.id, pb.EXPORT_FORMAT_YOLO)
    assert files["classes.txt"] == b"car\nperson\n"
    assert set(files) == {"classes.txt", "labels/img0000.txt", "labels/img0001.txt",
                          "labels/img0002.txt"}
    lines = files["labels/img0000.txt"].decode().splitlines()
    assert lines[0] == f"0 {105 / 640:.6f} {12 / 480:.6f} {10 / 640:.6f} {20 / 480:.6f}"
    assert lines[1].startswith("1 ")  # the polygon as its bounding box
    assert files["labels/img0002.txt"] == b""


async def test_yolo_without_image_sizes_is_a_failed_precondition(suite: Suite):
    done = await _vector_release(suite, size=False)
    await expect_error(suite.export(done.id, pb.EXPORT_FORMAT_YOLO),
                       grpc.StatusCode.FAILED_PRECONDITION)


async def test_release_json_export_is_the_release_file(suite: Suite):
    done = await _vector_release(suite)
    files = await suite.export(done.id, pb.EXPORT_FORMAT_RELEASE_JSON)
    assert files == {"v1.json": await suite.download(done.id)}


async def test_sequences_export_per_frame(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_IMAGE_VECTOR_SEQUENCE)
    sample = await suite.add_sequence(dataset, "seq", frames=4)
    key = {"id": 1, "track_id": 1, "is_keyframe": True, "category_id": 1, "type": "bbox"}
    frames = [{"annotations": [{**key, "points": [[0, 0], [10, 10]]}]}, {"annotations": []},
              {"annotations": [{**key, "points": [[20, 0], [30, 10]]}]}, {"annotations": []}]
    await suite.save(sample.id, {"format_version": "0.2", "frames": frames})
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    files = await suite.export(done.id, pb.EXPORT_FORMAT_YOLO)
    assert sorted(files) == ["classes.txt"] + [f"labels/seq/f{i}.txt" for i in range(4)]
    assert files["labels/seq/f1.txt"] == b"0 0.150000 0.050000 0.100000 0.100000\n"
    coco = json.loads((await suite.export(done.id, pb.EXPORT_FORMAT_COCO_INSTANCE))[
        "annotations/instances_ground-truth.json"])
    assert [i["file_name"] for i in coco["images"]] == [f"seq/f{i}" for i in range(4)]
    assert [a["bbox"][0] for a in coco["annotations"]] == [0.0, 10.0, 20.0, 20.0]
    assert [a["is_keyframe"] for a in coco["annotations"]] == [True, False, True, False]


async def test_unsupported_combinations_name_the_format_and_the_task_type(suite: Suite):
    dataset = await suite.create_dataset(common_pb2.TASK_TYPE_POINTCLOUD_CUBOID)
    done = await suite.wait((await suite.create_release(dataset.id, "v1")).id)
    for export_format in (pb.EXPORT_FORMAT_COCO_INSTANCE, pb.EXPORT_FORMAT_YOLO):
        error = await expect_error(suite.export(done.id, export_format),
                                   grpc.StatusCode.INVALID_ARGUMENT, "format")
        assert pb.ExportFormat.Name(export_format) in error.details()
        assert "pointcloud-cuboid" in error.details()
    files = await suite.export(done.id, pb.EXPORT_FORMAT_RELEASE_JSON)
    assert json.loads(files["v1.json"])["dataset"]["task_type"] == "pointcloud-cuboid"
