"""Builds the interpolation service's server: stateless, it only needs its peers."""

from __future__ import annotations

from framewise.interpolation.v1 import interpolation_pb2
from services.interpolation.servicer import InterpolationServicer, add_to_server
from services.interpolation.sources import StoredLabels
from shared.channels import channel_to
from shared.config import ServiceConfig
from shared.server import Registration, Server

SERVICE_NAME = "interpolation"
FULL_NAME = interpolation_pb2.DESCRIPTOR.services_by_name["InterpolationService"].full_name


async def build_server(config: ServiceConfig) -> Server:
    labeling = channel_to(config, "labeling")
    dataset = channel_to(config, "dataset")
    servicer = InterpolationServicer(StoredLabels(labeling, dataset))
    registration = Registration(FULL_NAME, lambda server: add_to_server(servicer, server,
                                                                         FULL_NAME))
    return Server(config, [registration], on_stop=[labeling.close, dataset.close])
