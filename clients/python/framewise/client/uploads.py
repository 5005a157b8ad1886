"""Samples from files on disk: a folder of images or point clouds, a folder of sequences
(each subfolder one sequence, its files the frames in name order), or a manifest.

    samples = samples_from_folder("photos/", "bboxes", url_prefix="https://cdn/photos")
    client.add_samples(dataset.id, samples)

URLs are `file://` URIs of the files, or `url_prefix` + the path relative to the folder
(where the files are served from). Manifests are JSON Lines (one sample a line) or a
JSON list, each sample `{"name", "attributes", "metadata"?, "priority"?}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from framewise.client.errors import invalid
from framewise.client.types import NewSample

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# Point-cloud file suffix -> the `pcd.type` of the sample format.
POINTCLOUD_TYPES = {".pcd": "pcd", ".bin": "binary-xyzi", ".ply": "ply", ".las": "las"}

SEQUENCE_TASKS = frozenset({
    "image-vector-sequence", "image-segmentation-sequence", "pointcloud-cuboid-sequence",
    "pointcloud-vector-sequence", "pointcloud-segmentation-sequence"})
POINTCLOUD_TASKS = frozenset({
    "pointcloud-cuboid", "pointcloud-vector", "pointcloud-segmentation",
    "pointcloud-cuboid-sequence", "pointcloud-vector-sequence",
    "pointcloud-segmentation-sequence"})


def _url(file: Path, root: Path, url_prefix: str | None) -> str:
    if url_prefix:
        relative = file.relative_to(root).as_posix()
        return f"{url_prefix.rstrip('/')}/{quote(relative)}"
    return file.resolve().as_uri()


def _data(file: Path, root: Path, url_prefix: str | None, pointcloud: bool) -> dict[str, Any]:
    url = _url(file, root, url_prefix)
    if pointcloud:
        return {"pcd": {"url": url, "type": POINTCLOUD_TYPES[file.suffix.lower()]}}
    return {"image": {"url": url}}


def _files(folder: Path, pointcloud: bool, recursive: bool) -> list[Path]:
    suffixes = set(POINTCLOUD_TYPES) if pointcloud else IMAGE_SUFFIXES
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and p.suffix.lower() in suffixes
                  and not p.name.startswith("."))


def samples_from_folder(folder: str | Path, task_type: str, *,
                        url_prefix: str | None = None) -> list[NewSample]:
    """One sample per file (single images / point clouds, named by relative path), or
    one per subfolder (sequence task types, frames named by file stem)."""
    root = Path(folder)
    if not root.is_dir():
        raise invalid("path", f"{root} is not a folder")
    if task_type == "multisensor-sequence":
        raise invalid("path", "multi-sensor samples come from a manifest, not a folder")
    pointcloud = task_type in POINTCLOUD_TASKS
    kind = "point clouds (.pcd, .bin, .ply, .las)" if pointcloud else "images"
    if task_type not in SEQUENCE_TASKS:
        samples = [NewSample(name=f.relative_to(root).as_posix(),
                             attributes=_data(f, root, url_prefix, pointcloud))
                   for f in _files(root, pointcloud, recursive=True)]
        if not samples:
            raise invalid("path", f"no {kind} in {root}")
        return samples
    samples = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        frames = [{**_data(f, root, url_prefix, pointcloud), "name": f.stem}
                  for f in _files(sub, pointcloud, recursive=False)]
        if frames:
            samples.append(NewSample(name=sub.name, attributes={"frames": frames}))
    if not samples:
        raise invalid("path", f"no subfolders of {kind} in {root}: a {task_type} dataset "
                              "takes one subfolder per sequence")
    return samples


def _sample(record: Any, where: str) -> NewSample:
    if not isinstance(record, dict):
        raise invalid(where, "must be a JSON object")
    for key in ("name", "attributes"):
        if key not in record:
            raise invalid(f"{where}.{key}", "required")
    unknown = set(record) - {"name", "attributes", "metadata", "priority",
                             "assigned_labeler", "assigned_reviewer"}
    if unknown:
        raise invalid(f"{where}.{sorted(unknown)[0]}", "unknown key")
    return NewSample(**record)


def _line(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(where, f"not JSON: {exc}") from None


def read_records(path: str | Path) -> Iterator[tuple[str, Any]]:
    """(where, record) for each record of a JSON Lines file or a JSON list."""
    source = Path(path)
    try:
        if source.suffix.lower() == ".jsonl":
            with source.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    if line.strip():
                        yield f"{source.name}:{number}", _line(line, f"{source.name}:{number}")
            return
        document = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise invalid(source.name, f"not JSON: {exc}") from None
    records = document.get("samples", document) if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise invalid(source.name, "must be a JSON list (or JSON Lines, .jsonl)")
    for i, record in enumerate(records):
        yield f"{source.name}[{i}]", record


def samples_from_manifest(path: str | Path) -> list[NewSample]:
    return [_sample(record, where) for where, record in read_records(path)]
