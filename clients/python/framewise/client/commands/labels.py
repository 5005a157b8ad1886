"""`framewise labels import/export/show`: labels as JSON files in the label format.

A folder holds one file per sample, `<sample name>.json`, whose content is the label
(the `attributes` of DESIGN.md §1, e.g. `{"format_version": "0.2", "frames": [...]}`).
A `.jsonl` file (or a `.json` list) holds one record per label:
`{"sample_id" | "sample_name", "attributes", "status"?, "score"?}`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from framewise.client.commands._common import command
from framewise.client.convert import LABEL_STATUSES
from framewise.client.errors import FieldViolation, InvalidArgument, invalid
from framewise.client.output import Output, plain
from framewise.client.sync import Client
from framewise.client.types import Label
from framewise.client.uploads import read_records


def register(commands: Any) -> None:
    group = commands.add_parser("labels", help="import, export and show labels")
    sub = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = command(sub, "import", _import, "save labels from JSON files (a folder of "
                                          "<sample name>.json, or a .jsonl of records)")
    imp.add_argument("dataset", help="id or name")
    imp.add_argument("path", type=Path)
    imp.add_argument("--label-set", default="ground-truth")
    imp.add_argument("--status", choices=LABEL_STATUSES, default=None,
                     help="status of every imported label (default: labeled)")

    exp = command(sub, "export", _export, "write labels as JSON files (a folder, or a "
                                          ".jsonl file)")
    exp.add_argument("dataset", help="id or name")
    exp.add_argument("output", type=Path, help="a folder, or a file ending in .jsonl")
    exp.add_argument("--label-set", default="ground-truth")
    exp.add_argument("--status", choices=LABEL_STATUSES, default=None,
                     help="only labels with this status")

    show = command(sub, "show", _show, "print one sample's label")
    show.add_argument("sample", help="sample id")
    show.add_argument("--label-set", default="ground-truth")


def _folder_records(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for file in sorted(folder.rglob("*.json")):
        where = file.relative_to(folder).as_posix()
        try:
            attributes = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise invalid(where, f"not JSON: {exc}") from None
        yield where, {"sample_name": where.removesuffix(".json"), "attributes": attributes}


def _records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    records = list(_folder_records(path) if path.is_dir() else read_records(path))
    for where, record in records:
        if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict):
            raise invalid(f"{where}.attributes", "required: the label, a JSON object")
        if not (record.get("sample_id") or record.get("sample_name")):
            raise invalid(where, "needs a sample_id or a sample_name")
    if not records:
        raise invalid("path", f"no labels in {path}")
    return records


def _blame(error: InvalidArgument, where: str) -> InvalidArgument:
    """The server's violations, prefixed with the file (and line) they came from."""
    return InvalidArgument(f"{where}: {error.message}", reason=error.reason,
                           field_violations=[FieldViolation(f"{where}: {v.field}",
                                                            v.description)
                                             for v in error.field_violations])


def _import(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    records = _records(args.path)
    by_name = {s.name: s.id for s in client.list_samples(dataset.id)}
    saved: list[Label] = []
    with out.progress(f"importing labels into {dataset.name}", total=len(records),
                      unit="labels") as update:
        for where, record in records:
            sample_id = record.get("sample_id") or by_name.get(record["sample_name"])
            if not sample_id:
                raise invalid(f"{where}.sample_name",
                              f"no sample named {record['sample_name']!r} in {dataset.name}")
            try:
                saved.append(client.add_label(
                    sample_id, record["attributes"], label_set=args.label_set,
                    status=args.status or record.get("status"), score=record.get("score")))
            except InvalidArgument as error:
                raise _blame(error, where) from None
            update(advance=1)
    if out.as_json:
        out.json([{"sample_id": x.sample_id, "revision": x.revision, "etag": x.etag}
                  for x in saved])
    else:
        out.message(f"imported {len(saved)} labels into {dataset.name} ({args.label_set})")


def _target(folder: Path, sample_name: str) -> Path:
    relative = PurePosixPath(sample_name + ".json")
    if relative.is_absolute() or ".." in relative.parts:
        raise invalid("sample_name", f"{sample_name!r} cannot be a file name")
    return folder.joinpath(*relative.parts)


def _export(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    names = {s.id: s.name for s in client.list_samples(dataset.id)}
    labels = list(client.list_labels(dataset.id, args.label_set, args.status))
    as_lines = args.output.suffix.lower() == ".jsonl"
    if as_lines:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("w", encoding="utf-8") as lines:
            for label in labels:
                lines.write(json.dumps({
                    "sample_id": label.sample_id, "sample_name": names.get(label.sample_id, ""),
                    "label_set": label.label_set, "status": label.status,
                    "score": label.score, "attributes": label.attributes}) + "\n")
    else:
        for label in labels:
            target = _target(args.output, names.get(label.sample_id, label.sample_id))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(label.attributes, indent=2) + "\n", encoding="utf-8")
    if out.as_json:
        out.json({"output": str(args.output), "labels": len(labels)})
    else:
        out.message(f"exported {len(labels)} labels of {dataset.name} to {args.output}")


def _show(client: Client, out: Output, args: argparse.Namespace) -> None:
    label = client.get_label(args.sample, args.label_set)
    if out.as_json:
        out.json(label)
        return
    out.record(label, fields=["sample_id", "label_set", "status", "score", "updated_by",
                              "update_time", "revision", "etag"])
    out.out.print_json(data=plain(label.attributes))
