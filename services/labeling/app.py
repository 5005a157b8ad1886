"""Builds the labeling service's server: database, migrations, dataset client, servicer."""

from __future__ import annotations

from framewise.labeling.v1 import labeling_pb2, labeling_pb2_grpc
from services.labeling.api.servicer import LabelingServicer
from services.labeling.peers.dataset import DatasetClient
from services.labeling.service import LabelingOperations
from shared.channels import channel_to
from shared.config import ServiceConfig
from shared.db.bootstrap import open_database
from shared.server import Registration, Server

SERVICE_NAME = "labeling"
FULL_NAME = labeling_pb2.DESCRIPTOR.services_by_name["LabelingService"].full_name


async def build_server(config: ServiceConfig) -> Server:
    db = await open_database(SERVICE_NAME, config)
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
