"""`framewise health`: grpc.health.v1 Check on every service."""

from __future__ import annotations

import argparse
from typing import Any

from framewise.client.commands._common import command
from framewise.client.output import Output
from framewise.client.sync import Client


def register(commands: Any) -> None:
    command(commands, "health", _health, "check that every service is serving")


def _health(client: Client, out: Output, args: argparse.Namespace) -> int:
    statuses = client.health()
    rows = [{"service": s, "address": client.config.addresses[s], "status": status}
            for s, status in statuses.items()]
    out.table(rows, ["service", "address", "status"])
    return 0 if all(s == "SERVING" for s in statuses.values()) else 3
