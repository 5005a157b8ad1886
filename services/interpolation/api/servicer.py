"""framewise.interpolation.v1.InterpolationService over gRPC: protobuf in, protobuf out.

Responses leave as bytes already in wire format (api/wire.py), so the methods are
registered with no response serializer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeAlias

import grpc

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.api import converters as conv
from services.interpolation.domain.source import Source
from services.interpolation.service import InterpolationService
from shared.errors import InvalidArgument
from shared.request_limits import enforce_limits

# grpc ships no type information: the servicer context is Any to mypy.
Context: TypeAlias = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["InterpolationService"]


@enforce_limits(SERVICE)
class InterpolationServicer:
    def __init__(self, service: InterpolationService) -> None:
        self.service = service

    async def _source(self,
                      request: pb.StreamFrameStatesRequest | pb.GetFrameStateRequest) -> Source:
        kind = request.WhichOneof("source")
        if kind == "inline":
            return await asyncio.to_thread(conv.inline_source, request.inline)
        if kind == "stored_label":
            # Read as the caller: the peers' channels forward the call's token.
            return await self.service.stored_source(request.stored_label)
        raise InvalidArgument.of("source", "one of inline or stored_label is required")

    async def StreamFrameStates(self, request: pb.StreamFrameStatesRequest,
                                context: Context) -> AsyncIterator[bytes]:
        source = await self._source(request)
        async for message in self.service.frame_states(
                source, request.start_frame, request.end_frame, request.track_ids,
                request.frames_per_message):
            yield message

    async def GetFrameState(self, request: pb.GetFrameStateRequest, context: Context) -> bytes:
        source = await self._source(request)
        return await self.service.frame_state(source, request.frame, request.track_ids)


def add_to_server(servicer: InterpolationServicer, server: grpc.aio.Server,
                  full_name: str) -> None:
    handlers = {
        "StreamFrameStates": grpc.unary_stream_rpc_method_handler(
            servicer.StreamFrameStates,
            request_deserializer=pb.StreamFrameStatesRequest.FromString),
        "GetFrameState": grpc.unary_unary_rpc_method_handler(
            servicer.GetFrameState, request_deserializer=pb.GetFrameStateRequest.FromString),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(full_name, handlers),))
