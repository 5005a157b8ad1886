"""The command line of one service process: `serve` (default) or `migrate`."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from shared import config as config_module
from shared.config import ServiceConfig
from shared.db.bootstrap import migrate
from shared.server import Server, run


def main(service: str, build: Callable[[ServiceConfig], Awaitable[Server]],
         argv: list[str] | None = None, *, has_database: bool = True) -> None:
    parser = argparse.ArgumentParser(prog=f"framewise-{service}",
                                     description=f"The Framewise {service} service.")
    choices = ["serve", "migrate"] if has_database else ["serve"]
    parser.add_argument("command", nargs="?", default="serve", choices=choices,
                        help="serve (default), or migrate the database to the latest schema")
    args = parser.parse_args(argv)
    try:
        config = config_module.load(service)
    except ValueError as exc:  # one line naming the variable, not a traceback
        parser.exit(2, f"framewise-{service}: bad configuration: {exc}\n")
    if args.command == "migrate":
        migrate(service, config)
        return
    run(build, config)
