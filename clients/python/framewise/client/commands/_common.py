"""What every subcommand uses: the handler signature and argument helpers."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framewise.client.errors import invalid
from framewise.client.output import Output
from framewise.client.sync import Client

Handler = Callable[[Client, Output, argparse.Namespace], int | None]


def command(group: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text,
                                                       description=help_text)
    parser.set_defaults(handler=handler)
    return parser


def json_argument(text: str | None, field: str) -> Any:
    """A JSON value given inline or as @file.json."""
    if text is None:
        return None
    try:
        if text.startswith("@"):
            return json.loads(Path(text[1:]).read_text(encoding="utf-8"))
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(field, f"not JSON: {exc}") from None
