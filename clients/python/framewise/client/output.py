"""How the command line prints: rich tables for people, JSON for scripts, progress
bars on stderr (only on a terminal, never with --json)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


def plain(value: Any) -> Any:
    """Dataclasses, datetimes and containers as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict | list):
        return json.dumps(plain(value), separators=(",", ":"))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _get(record: Any, key: str) -> Any:
    return record.get(key) if isinstance(record, dict) else getattr(record, key, None)


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        # Piped into a file or another program: wide rows, never folded ids.
        self.out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 400)
        self.err = Console(stderr=True)

    def json(self, value: Any) -> None:
        sys.stdout.write(json.dumps(plain(value), indent=2) + "\n")

    def table(self, rows: Sequence[Any], columns: Sequence[str], *,
              title: str | None = None) -> None:
        """A list of records: a JSON list with --json, else a table of `columns`."""
        if self.as_json:
            self.json(list(rows))
            return
        table = Table(title=title, header_style="bold")
        for column in columns:
            table.add_column(column.replace("_", " "), overflow="fold",
                             no_wrap=column.endswith("id"))
        for row in rows:
            table.add_row(*(_cell(_get(row, c)) for c in columns))
        self.out.print(table)

    def record(self, value: Any, *, fields: Sequence[str] | None = None) -> None:
        """One record: a JSON object with --json, else a two-column table."""
        if self.as_json:
            self.json(value)
            return
        keys = fields or (list(value) if isinstance(value, dict)
                          else [f.name for f in dataclasses.fields(value)])
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key in keys:
            table.add_row(key.replace("_", " "), _cell(_get(value, key)))
        self.out.print(table)

    def message(self, text: str) -> None:
        """A human line (stderr under --json, so stdout stays pure JSON)."""
        (self.err if self.as_json else self.out).print(text, highlight=False)

    def error(self, text: str) -> None:
        self.err.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)

    @contextmanager
    def progress(self, description: str, total: float | None, *,
                 unit: str = "items") -> Iterator[Callable[..., None]]:
        """Yields `update(completed=..., total=...)`; a bar on a terminal, else silent."""
        columns = ([TextColumn("{task.description}"), BarColumn()]
                   + ([DownloadColumn()] if unit == "bytes" else [MofNCompleteColumn()])
                   + [TimeElapsedColumn(), TimeRemainingColumn()])
        enabled = not self.as_json and self.err.is_terminal
        with Progress(*columns, console=self.err, disable=not enabled,
                      transient=False) as bar:
            task = bar.add_task(description, total=total)

            def update(**changes: Any) -> None:
                bar.update(task, **changes)

            yield update
