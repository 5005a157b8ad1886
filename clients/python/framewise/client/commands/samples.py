"""`framewise samples upload/list/delete`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from framewise.client._base import DEFAULT_BATCH_SIZE
from framewise.client.commands._common import command, json_argument
from framewise.client.output import Output
from framewise.client.sync import Client
from framewise.client.uploads import samples_from_folder, samples_from_manifest

COLUMNS = ["id", "name", "frame_count", "priority", "assigned_labeler", "create_time"]


def register(commands: Any) -> None:
    group = commands.add_parser("samples", help="upload and list samples")
    sub = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    upload = command(sub, "upload", _upload,
                     "add samples from a folder (images, point clouds, or one subfolder of "
                     "frames per sequence) or a JSON / JSONL manifest")
    upload.add_argument("dataset", help="id or name")
    upload.add_argument("path", type=Path, help="a folder, or a .json / .jsonl manifest")
    upload.add_argument("--url-prefix", default=None,
                        help="URL where the folder is served (default: file:// URLs)")
    upload.add_argument("--metadata", metavar="JSON|@FILE",
                        help="metadata added to every sample from a folder")
    upload.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    listing = command(sub, "list", _list, "list the samples of a dataset")
    listing.add_argument("dataset", help="id or name")
    listing.add_argument("--name-contains", default="")
    listing.add_argument("--metadata-filter", metavar="JSON",
                         help='only samples with these metadata values: {"city": "Berlin"}')
    listing.add_argument("--order-by", default="", help='"name", "create_time" or "priority" '
                                                        '[" desc"]')
    listing.add_argument("--limit", type=int, default=0, help="at most this many")

    delete = command(sub, "delete", _delete, "delete a sample")
    delete.add_argument("sample", help="sample id")


def _upload(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    if args.path.is_dir():
        samples = samples_from_folder(args.path, dataset.task_type, url_prefix=args.url_prefix)
        metadata = json_argument(args.metadata, "--metadata")
        if metadata:
            for sample in samples:
                sample.metadata = dict(metadata)
    else:
        samples = samples_from_manifest(args.path)
    with out.progress(f"uploading to {dataset.name}", total=len(samples),
                      unit="samples") as update:
        created = client.add_samples(dataset.id, samples, batch_size=args.batch_size,
                                     progress=lambda done, _batch: update(completed=done))
    if out.as_json:
        out.json(created)
    else:
        frames = sum(s.frame_count for s in created)
        out.message(f"added {len(created)} samples ({frames} frames) to {dataset.name}")


def _list(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    rows = []
    for sample in client.list_samples(
            dataset.id, name_contains=args.name_contains, order_by=args.order_by,
            metadata_filter=json_argument(args.metadata_filter, "--metadata-filter")):
        rows.append(sample)
        if args.limit and len(rows) >= args.limit:
            break
    out.table(rows, COLUMNS)


def _delete(client: Client, out: Output, args: argparse.Namespace) -> None:
    client.delete_sample(args.sample)
    if out.as_json:
        out.json({"deleted": args.sample})
    else:
        out.message(f"deleted sample {args.sample}")
