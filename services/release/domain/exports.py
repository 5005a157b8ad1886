"""Release files converted to common formats, streamed: each exporter is a generator
of (path, bytes, end_of_file) pieces that reads the release file one line at a time.

- COCO instances: bboxes and polygons of image vector datasets (`bboxes`, `vector`),
  and of image vector sequences with one COCO image per frame. One JSON file, written
  in two passes over the release file (images, then annotations), never held whole.
- YOLO: one text file per image (per frame for sequences) of `class cx cy w h`,
  normalised by the image size, which must be in the sample (`image.width`/`height`,
  or for sequences on each frame's `image`; else `metadata.width`/`height`); polygons
  export as their bounding box; `classes.txt` lists class names in class index order.
- RELEASE_JSON: the release file itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from enum import StrEnum
from typing import IO, Any

from services.release.domain import release_file as rf
from shared.errors import FailedPrecondition, InvalidArgument
from shared.task_types import TaskType

# Opens the release file: a context manager of its bytes (a BlobStore's open).
OpenFile = Callable[[], AbstractContextManager[IO[bytes]]]

CHUNK = 1024 * 1024

Piece = tuple[str, bytes, bool]


class ExportFormat(StrEnum):
    RELEASE_JSON = "release-json"
    COCO_INSTANCE = "coco-instance"
    YOLO = "yolo"


_IMAGE_VECTOR = frozenset({TaskType.BBOXES, TaskType.VECTOR, TaskType.IMAGE_VECTOR_SEQUENCE})
SUPPORTED: dict[ExportFormat, frozenset[TaskType] | None] = {
    ExportFormat.RELEASE_JSON: None,  # every task type
    ExportFormat.COCO_INSTANCE: _IMAGE_VECTOR,
    ExportFormat.YOLO: _IMAGE_VECTOR,
}


def check_supported(export_format: ExportFormat, task_type: TaskType, format_name: str) -> None:
    allowed = SUPPORTED[export_format]
    if allowed is not None and task_type not in allowed:
        names = ", ".join(sorted(t.value for t in allowed))
        raise InvalidArgument.of(
            "format", f"{format_name} cannot export a release of task type "
                      f"{task_type.value!r} (it exports: {names})")


def file_chunks(path: str, handle: IO[bytes]) -> Iterator[Piece]:
    data = handle.read(CHUNK)
    while True:
        following = handle.read(CHUNK)
        yield path, data, not following
        if not following:
            return
        data = following


class _Buffered:
    """Groups small writes into pieces of about CHUNK bytes of one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, text: str) -> Iterator[Piece]:
        data = text.encode()
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK:
            yield self.path, b"".join(self.parts), False
            self.parts, self.size = [], 0

    def close(self) -> Iterator[Piece]:
        yield self.path, b"".join(self.parts), True


def _frames_of_sample(sample: dict[str, Any]) -> list[dict[str, Any]]:
    frames = (sample.get("attributes") or {}).get("frames")
    return frames if isinstance(frames, list) else []


def safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "sample"
    return cleaned[:200]


def _dims_of(holder: Any, metadata: dict[str, Any]) -> tuple[float, float] | None:
    image = holder.get("image") if isinstance(holder, dict) else None
    for source in (image, metadata):
        if isinstance(source, dict):
            w, h = source.get("width"), source.get("height")
            if isinstance(w, int | float) and isinstance(h, int | float) and w > 0 and h > 0:
                return float(w), float(h)
    return None


def _images(view: rf.SampleView, sequence: bool) -> list[tuple[str, dict[str, Any]]]:
    """(file name, holder of `image`) of each image of a sample: itself, or its frames."""
    sample = view.sample
    name = str(sample.get("name", ""))
    if not sequence:
        return [(name, sample.get("attributes") or {})]
    out = []
    for i, frame in enumerate(_frames_of_sample(sample)):
        frame_name = frame.get("name") if isinstance(frame, dict) else None
        out.append((f"{name}/{frame_name or f'{i:06d}'}", frame if isinstance(frame, dict)
                    else {}))
    return out


def _annotation_sets(view: rf.SampleView, sequence: bool) -> Iterator[list[dict[str, Any]]]:
    """The annotations of each image of a sample, in image order."""
    if view.label is None:
        return
    if not sequence:
        yield list((view.label.get("attributes") or {}).get("annotations") or [])
        return
    for frame in view.frames or ():
        yield list(frame.get("annotations") or []) if isinstance(frame, dict) else []


def _extent(points: list[list[float]]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _shoelace(points: list[list[float]]) -> float:
    total = 0.0
    for i, (x0, y0, *_) in enumerate(points):
        x1, y1 = points[(i + 1) % len(points)][:2]
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


# COCO


def _coco_annotation(annotation: dict[str, Any], ann_id: int,
                     image_id: int) -> dict[str, Any] | None:
    kind = annotation.get("type")
    points = annotation.get("points")
    if kind not in ("bbox", "polygon") or not points or annotation.get("removed"):
        return None
    x0, y0, x1, y1 = _extent(points)
    out: dict[str, Any] = {
        "id": ann_id, "image_id": image_id, "category_id": annotation.get("category_id"),
        "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0,
        "attributes": annotation.get("attributes") or {},
    }
    if kind == "polygon":
        out["segmentation"] = [[c for p in points for c in p[:2]]]
        out["area"] = _shoelace(points)
    else:
        out["segmentation"] = []
        out["area"] = (x1 - x0) * (y1 - y0)
    if "track_id" in annotation:
        out["track_id"] = annotation["track_id"]
        out["is_keyframe"] = bool(annotation.get("is_keyframe"))
    return out


def coco(open_file: OpenFile, label_set: str, sequence: bool) -> Iterator[Piece]:
    """COCO instances in one file, `annotations/instances_<label set>.json`."""
    out = _Buffered(f"annotations/instances_{safe_name(label_set)}.json")
    with open_file() as handle:
        stream = rf.events(_lines(handle))
        header = rf.header_of(stream)
        dataset = header["dataset"]
        categories = [{"id": c["id"], "name": c["name"], "supercategory": ""}
                      for c in dataset["task_attributes"]["categories"]]
        info = {"description": header.get("name"), "version": header.get("id"),
                "date_created": header.get("created_at")}
        yield from out.add(f'{{"info":{rf.dumps(info)},"licenses":[],'
                           f'"categories":{rf.dumps(categories)},"images":[')
        image_id = 0
        for view in rf.samples(stream, label_set):
            for file_name, holder in _images(view, sequence):
                image_id += 1
                image: dict[str, Any] = {"id": image_id, "file_name": file_name,
                                         "sample_uuid": view.sample.get("uuid")}
                url = (holder.get("image") or {}).get("url") if isinstance(
                    holder.get("image"), dict) else None
                if url:
                    image["coco_url"] = url
                dims = _dims_of(holder, view.sample.get("metadata") or {})
                if dims:
                    image["width"], image["height"] = dims
                yield from out.add(("," if image_id > 1 else "") + rf.dumps(image))
            if view.frames is not None:
                for _ in view.frames:  # the frames are read in the second pass
                    pass
    yield from out.add('],"annotations":[')
    with open_file() as handle:
        stream = rf.events(_lines(handle))
        rf.header_of(stream)
        image_id = ann_id = 0
        for view in rf.samples(stream, label_set):
            images = len(_images(view, sequence))
            for offset, annotations in enumerate(_annotation_sets(view, sequence)):
                if offset >= images:
                    continue  # a label frame beyond the sample's frames
                for annotation in annotations:
                    item = _coco_annotation(annotation, ann_id + 1, image_id + offset + 1)
                    if item is not None:
                        ann_id += 1
                        yield from out.add(("," if ann_id > 1 else "") + rf.dumps(item))
            image_id += images
    yield from out.add("]}")
    yield from out.close()


# YOLO


def _yolo_line(annotation: dict[str, Any], classes: dict[int, int], width: float,
               height: float) -> str | None:
    points = annotation.get("points")
    if annotation.get("type") not in ("bbox", "polygon") or not points or \
            annotation.get("removed"):
        return None
    index = classes.get(annotation.get("category_id", -1))
    if index is None:
        return None
    x0, y0, x1, y1 = _extent(points)
    x0, x1 = max(0.0, min(x0, width)), max(0.0, min(x1, width))
    y0, y1 = max(0.0, min(y0, height)), max(0.0, min(y1, height))
    cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
    return f"{index} {cx:.6f} {cy:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}\n"


def yolo(open_file: OpenFile, label_set: str, sequence: bool) -> Iterator[Piece]:
    """`classes.txt`, then `labels/<sample>.txt` (`labels/<sample>/<frame>.txt`)."""
    with open_file() as handle:
        stream = rf.events(_lines(handle))
        dataset = rf.header_of(stream)["dataset"]
        categories = sorted(dataset["task_attributes"]["categories"], key=lambda c: c["id"])
        classes = {c["id"]: i for i, c in enumerate(categories)}
        yield "classes.txt", "".join(f"{c['name']}\n" for c in categories).encode(), True
        for view in rf.samples(stream, label_set):
            images = _images(view, sequence)
            sets = _annotation_sets(view, sequence)
            for offset, (file_name, holder) in enumerate(images):
                annotations = next(sets, [])
                dims = _dims_of(holder, view.sample.get("metadata") or {})
                if dims is None:
                    raise FailedPrecondition(
                        f"YOLO needs image sizes: sample {view.sample.get('name')!r} "
                        f"(image {offset}) has no image.width/height",
                        reason="IMAGE_SIZE_UNKNOWN")
                lines = (_yolo_line(a, classes, *dims) for a in annotations)
                path = "labels/" + "/".join(safe_name(p) for p in file_name.split("/")) + ".txt"
                yield path, "".join(x for x in lines if x).encode(), True
            for _ in sets:  # label frames beyond the sample's frames
                pass


def _lines(handle: IO[bytes]) -> Iterable[str]:
    for raw in handle:
        yield raw.decode()


def release_json(open_file: OpenFile, file_name: str) -> Iterator[Piece]:
    with open_file() as handle:
        yield from file_chunks(file_name, handle)
