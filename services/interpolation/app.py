"""Builds the interpolation service's server: stateless, it only needs its peers."""

from __future__ import annotations

from framewise.interpolation.v1 import interpolation_pb2
from services.interpolation.api import converters as conv
from services.interpolation.api.servicer import InterpolationServicer, add_to_server
from services.interpolation.peers.stored_labels import StoredLabels
from services.interpolation.service import InterpolationService
from shared.channels import channel_to
from shared.config import ServiceConfig
from shared.server import Registration, Server

SERVICE_NAME = "interpolation"
FULL_NAME = interpolation_pb2.DESCRIPTOR.services_by_name["InterpolationService"].full_name


async def build_server(config: ServiceConfig) -> Server:
    labeling = channel_to(config, "labeling")
    dataset = channel_to(config, "dataset")
    service = InterpolationService(StoredLabels(labeling, dataset), conv.frame_encoder)
    servicer = InterpolationServicer(service)
    registration = Registration(FULL_NAME, lambda server: add_to_server(servicer, server,
                                                                         FULL_NAME))
    return Server(config, [registration], on_stop=[labeling.close, dataset.close])
