"""`framewise releases create/list/show/wait/download/export/delete`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from framewise.client.commands._common import command
from framewise.client.convert import EXPORT_FORMATS
from framewise.client.output import Output
from framewise.client.sync import Client
from framewise.client.types import Release

COLUMNS = ["id", "name", "status", "sample_count", "file_size_bytes", "create_time"]
FIELDS = ["id", "name", "dataset_id", "status", "failure_reason", "sample_count",
          "file_size_bytes", "content_sha256", "dataset_revision", "label_revision",
          "created_by", "create_time", "complete_time"]


def register(commands: Any) -> None:
    group = commands.add_parser("releases", help="snapshot datasets and download them")
    sub = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = command(sub, "create", _create, "start a release of a dataset")
    create.add_argument("dataset", help="id or name")
    create.add_argument("name")
    create.add_argument("--description", default="")
    create.add_argument("--wait", action="store_true", help="wait until it is built")
    create.add_argument("--wait-timeout", type=float, default=600.0)

    listing = command(sub, "list", _list, "list the releases of a dataset")
    listing.add_argument("dataset", help="id or name")

    show = command(sub, "show", _show, "show a release")
    show.add_argument("release", help="release id")

    wait = command(sub, "wait", _wait, "wait until a release is built")
    wait.add_argument("release", help="release id")
    wait.add_argument("--wait-timeout", type=float, default=600.0)

    download = command(sub, "download", _download, "download the release file")
    download.add_argument("release", help="release id")
    download.add_argument("-o", "--output", type=Path, default=None,
                          help="file to write (default: <release name>.json)")

    export = command(sub, "export", _export, "export a release to a common format")
    export.add_argument("release", help="release id")
    export.add_argument("-o", "--output", type=Path, required=True,
                        help="a folder, or a file ending in .zip")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="coco-instance")
    export.add_argument("--label-set", default="ground-truth")

    delete = command(sub, "delete", _delete, "delete a release and its files")
    delete.add_argument("release", help="release id")


def _wait_for(client: Client, out: Output, release_id: str, timeout: float) -> Release:
    with out.progress("building release", total=None) as update:
        return client.wait_for_release(
            release_id, timeout=timeout,
            on_poll=lambda r: update(description=f"release {r.name}: {r.status}"))


def _create(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    release = client.add_release(dataset.id, args.name, args.description)
    if args.wait:
        release = _wait_for(client, out, release.id, args.wait_timeout)
    out.record(release, fields=FIELDS)


def _list(client: Client, out: Output, args: argparse.Namespace) -> None:
    dataset = client.find_dataset(args.dataset)
    out.table(list(client.list_releases(dataset.id)), COLUMNS)


def _show(client: Client, out: Output, args: argparse.Namespace) -> None:
    out.record(client.get_release(args.release), fields=FIELDS)


def _wait(client: Client, out: Output, args: argparse.Namespace) -> None:
    out.record(_wait_for(client, out, args.release, args.wait_timeout), fields=FIELDS)


def _download(client: Client, out: Output, args: argparse.Namespace) -> None:
    release = client.get_release(args.release)
    target = args.output or Path(f"{release.name}.json")
    with out.progress(f"downloading {release.name}", total=release.file_size_bytes or None,
                      unit="bytes") as update:
        path = client.download_release(
            release.id, target, progress=lambda done, total: update(completed=done,
                                                                    total=total or None))
    if out.as_json:
        out.json({"path": str(path), "size": path.stat().st_size,
                  "sha256": release.content_sha256})
    else:
        out.message(f"wrote {path} ({path.stat().st_size} bytes, sha256 verified)")


def _export(client: Client, out: Output, args: argparse.Namespace) -> None:
    with out.progress(f"exporting {args.format}", total=None, unit="files") as update:
        files = client.export_release(args.release, args.output, export_format=args.format,
                                      label_set=args.label_set,
                                      progress=lambda _file: update(advance=1))
    if out.as_json:
        out.json({"output": str(args.output), "files": files})
    else:
        out.table(files, ["path", "size"], title=f"exported to {args.output}")


def _delete(client: Client, out: Output, args: argparse.Namespace) -> None:
    client.delete_release(args.release)
    if out.as_json:
        out.json({"deleted": args.release})
    else:
        out.message(f"deleted release {args.release}")
