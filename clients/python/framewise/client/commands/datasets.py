"""`framewise datasets create/list/show/update/clone/delete`."""

from __future__ import annotations

import argparse
from typing import Any

from framewise.client.commands._common import command, json_argument
from framewise.client.convert import TASK_TYPES
from framewise.client.errors import invalid
from framewise.client.output import Output
from framewise.client.sync import Client
from framewise.client.types import Category, DatasetSettings, TaskAttributes

COLUMNS = ["id", "name", "task_type", "owner", "sample_count", "create_time"]


def register(commands: Any) -> None:
    group = commands.add_parser("datasets", help="create, list, show and delete datasets")
    sub = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = command(sub, "create", _create, "create a dataset")
    create.add_argument("name")
    create.add_argument("--task-type", required=True, choices=TASK_TYPES, metavar="TYPE",
                        help=f"one of: {', '.join(TASK_TYPES)}")
    create.add_argument("--category", action="append", default=[], metavar="ID:NAME[:COLOR]",
                        help="a category, e.g. 1:car:#ff0000 (repeat for more)")
    create.add_argument("--task-attributes", metavar="JSON|@FILE",
                        help='categories and attributes: {"categories": [...]}')
    create.add_argument("--description", default="")
    create.add_argument("--metadata", metavar="JSON|@FILE")
    create.add_argument("--interpolate-by", choices=["frame-index", "timestamp"],
                        default=None, help="how sequence frames are interpolated")

    listing = command(sub, "list", _list, "list datasets, newest first")
    listing.add_argument("--name-contains", default="")
    listing.add_argument("--owner", default="")
    listing.add_argument("--task-type", choices=TASK_TYPES, metavar="TYPE")

    show = command(sub, "show", _show, "show a dataset, its categories and label sets")
    show.add_argument("dataset", help="id or name")

    clone = command(sub, "clone", _clone, "copy a dataset with its samples (and labels)")
    clone.add_argument("dataset", help="id or name")
    clone.add_argument("name", help="name of the copy")
    clone.add_argument("--no-labels", action="store_true", help="copy samples only")

    delete = command(sub, "delete", _delete, "delete a dataset with its samples")
    delete.add_argument("dataset", help="id or name")
    delete.add_argument("--etag", default="", help="only if unchanged since read")


def _categories(specs: list[str]) -> list[Category]:
    categories = []
    for i, spec in enumerate(specs):
        parts = spec.split(":", 2)
        if len(parts) < 2 or not parts[0].strip().isdigit() or not parts[1]:
            raise invalid(f"--category[{i}]", f"{spec!r} is not ID:NAME[:COLOR]")
        categories.append(Category(id=int(parts[0]), name=parts[1],
                                   color=parts[2] if len(parts) > 2 else ""))
    return categories


def _create(client: Client, out: Output, args: argparse.Namespace) -> None:
    attributes = json_argument(args.task_attributes, "--task-attributes")
    task_attributes = (TaskAttributes.from_dict(attributes) if attributes
                       else TaskAttributes())
    task_attributes.categories.extend(_categories(args.category))
    settings = DatasetSettings(interpolation_mode=args.interpolate_by or "frame-index")
    dataset = client.add_dataset(
        args.name, args.task_type, description=args.description,
        task_attributes=task_attributes, settings=settings,
        metadata=json_argument(args.metadata, "--metadata"))
    out.record(dataset, fields=["id", "name", "task_type", "owner", "create_time"])


def _list(client: Client, out: Output, args: argparse.Namespace) -> None:
    rows = list(client.list_datasets(owner=args.owner, name_contains=args.name_contains,
                                     task_type=args.task_type))
    out.table(rows, COLUMNS)


def _show(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    label_sets = list(client.list_label_sets(dataset.id))
    if out.as_json:
        out.json({"dataset": dataset, "label_sets": label_sets})
        return
    out.record(dataset, fields=["id", "name", "task_type", "owner", "description",
                                "sample_count", "revision", "metadata", "create_time",
                                "update_time"])
    out.table([{"id": c.id, "name": c.name, "color": c.color,
                "attributes": ", ".join(a.name for a in c.attributes)}
               for c in dataset.task_attributes.categories],
              ["id", "name", "color", "attributes"], title="categories")
    out.table(label_sets, ["name", "description", "is_default"], title="label sets")


def _clone(client: Client, out: Output, args: argparse.Namespace) -> None:
    source = client.find_dataset(args.dataset)
    clone = client.clone_dataset(source.id, args.name, with_labels=not args.no_labels)
    out.record(clone, fields=["id", "name", "task_type", "sample_count"])


def _delete(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    client.delete_dataset(dataset.id, etag=args.etag)
    if out.as_json:
        out.json({"deleted": dataset.id})
    else:
        out.message(f"deleted dataset {dataset.name} ({dataset.id})")
