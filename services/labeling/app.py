"""Builds the labeling service's server: database, migrations, dataset client, servicer."""

from __future__ import annotations

from framewise.labeling.v1 import labeling_pb2, labeling_pb2_grpc
from services.labeling.datasets import DatasetClient
from services.labeling.operations import LabelingOperations
from services.labeling.servicer import LabelingServicer
from shared.channels import channel_to
from shared.config import ServiceConfig
from shared.db import Database
from shared.db.migrations import upgrade_async
from shared.server import Registration, Server

SERVICE_NAME = "labeling"
FULL_NAME = labeling_pb2.DESCRIPTOR.services_by_name["LabelingService"].full_name


async def build_server(config: ServiceConfig) -> Server:
    if config.database_url.startswith("sqlite"):
        config.data_dir.mkdir(parents=True, exist_ok=True)
    if config.auto_migrate:
        await upgrade_async(SERVICE_NAME, config.database_url)
    db = Database(config.database_url)
    channel = channel_to(config, "dataset")
    operations = LabelingOperations(db, DatasetClient(channel))
    servicer = LabelingServicer(operations)
    registration = Registration(
        FULL_NAME, lambda server: labeling_pb2_grpc.add_LabelingServiceServicer_to_server(
            servicer, server)
    )

    async def close_channel() -> None:
        await channel.close()

    return Server(config, [registration], on_stop=[db.dispose, operations.close,
                                                    close_channel])
