"""Start real services on ephemeral ports inside the test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import grpc

from shared import config as config_module
from shared.channels import aio_channel
from shared.config import ServiceConfig
from shared.server import Server
from tests.support.tokens import TEST_AUTH, test_interceptors


def test_config(service: str, database_url: str, data_dir: Path,
                peers: dict[str, str] | None = None) -> ServiceConfig:
    """A service's config for tests: port 0, its own database, and where its peers run."""
    base = config_module.load(service)
    return replace(
        base,
        host="127.0.0.1",
        port=0,
        data_dir=data_dir,
        database_url=database_url,
        grace_period_s=1.0,
        peers={**base.peers, **(peers or {})},
        auth=TEST_AUTH,
    )


# Not a test, although its name starts with "test_".
test_config.__test__ = False  # type: ignore[attr-defined]


@asynccontextmanager
async def running(build: Callable[[ServiceConfig], Awaitable[Server]],
                  config: ServiceConfig) -> AsyncIterator[tuple[Server, grpc.aio.Channel]]:
    """Starts a service; yields it with a channel to it; stops both afterwards.

    The server's address is `f"127.0.0.1:{server.port}"`, to pass as a peer to others.
    With `config.tls`, the channel speaks TLS with the service's own certificate.
    """
    server = await build(config)
    port = await server.start()
    credentials = config.tls.channel_credentials() if config.tls is not None else None
    channel = aio_channel(f"127.0.0.1:{port}", test_interceptors(), credentials)
    try:
        yield server, channel
    finally:
        await channel.close()
        await server.stop(0.5)
