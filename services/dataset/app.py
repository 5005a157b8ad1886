"""Builds the dataset service's server: database, migrations, servicer."""

from __future__ import annotations

from framewise.dataset.v1 import dataset_pb2, dataset_pb2_grpc
from services.dataset.api.servicer import DatasetServicer
from services.dataset.service import DatasetOperations
from shared.config import ServiceConfig
from shared.db.bootstrap import open_database
from shared.server import Registration, Server

SERVICE_NAME = "dataset"
FULL_NAME = dataset_pb2.DESCRIPTOR.services_by_name["DatasetService"].full_name


async def build_server(config: ServiceConfig) -> Server:
    db = await open_database(SERVICE_NAME, config)
    servicer = DatasetServicer(DatasetOperations(db))
    registration = Registration(
        FULL_NAME, lambda server: dataset_pb2_grpc.add_DatasetServiceServicer_to_server(
            servicer, server)
    )
    return Server(config, [registration], on_stop=[db.dispose])
