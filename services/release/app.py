"""Builds the release service's server: database, blob store, peers, builder, servicer."""

from __future__ import annotations

import asyncio
import logging

from framewise.release.v1 import release_pb2, release_pb2_grpc
from services.release.api.servicer import ReleaseServicer
from services.release.build.builder import Builder
from services.release.build.settings import ReleaseSettings
from services.release.build.staging_db import remove_abandoned
from services.release.peers.clients import Peers
from services.release.service import ReleaseOperations
from services.release.storage.blob_stores import open_blob_store
from shared.channels import channel_to
from shared.config import ServiceConfig
from shared.db.bootstrap import open_database
from shared.server import Registration, Server

SERVICE_NAME = "release"
FULL_NAME = release_pb2.DESCRIPTOR.services_by_name["ReleaseService"].full_name

log = logging.getLogger("framewise.release")


async def build_server(config: ServiceConfig, settings: ReleaseSettings | None = None) -> Server:
    settings = settings or ReleaseSettings.load(config)
    db = await open_database(SERVICE_NAME, config)
    blobs = open_blob_store(settings.blob_url, settings.blob_dir, settings.s3)
    if removed := await asyncio.to_thread(blobs.remove_leftovers):
        log.info("removed %d partial release files of interrupted builds", removed)
    if removed := remove_abandoned(settings.work_dir):
        log.info("removed the scratch space of %d builds whose process died", removed)
    channels = [channel_to(config, peer) for peer in ("dataset", "labeling", "interpolation")]
    dataset, labeling, interpolation = channels
    peers = Peers.over(dataset, labeling, interpolation, config.auth)
    builder = Builder(db, blobs, peers, settings)
    servicer = ReleaseServicer(ReleaseOperations(db, blobs, peers, builder))
    # Releases left PENDING by a process that died are resumed (or FAILED) right away.
    await builder.open()
    registration = Registration(
        FULL_NAME, lambda server: release_pb2_grpc.add_ReleaseServiceServicer_to_server(
            servicer, server)
    )

    async def close_channels() -> None:
        for channel in channels:
            await channel.close()

    return Server(config, [registration], on_stop=[db.dispose, close_channels, builder.close])
