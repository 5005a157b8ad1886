"""framewise.interpolation.v1.InterpolationService over gRPC.

Responses leave as bytes already in wire format (services/interpolation/wire.py), so the
methods are registered with no response serializer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import grpc

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation import wire
from services.interpolation.converters import request_field
from services.interpolation.domain import InterpolationInputError, InterpolationPlan, Track
from services.interpolation.sources import Source, StoredLabels, inline_source
from shared.errors import FailedPrecondition, InvalidArgument
from shared.identity import IDENTITY_METADATA_KEY

Context = grpc.aio.ServicerContext

MAX_FRAMES_PER_MESSAGE = 10_000
# Messages of about this size: large enough to amortise the per-message cost, well under
# the 4 MiB default receive limit of gRPC clients in every language.
TARGET_MESSAGE_BYTES = 1_000_000


def _state_bytes(track: Track) -> int:
    """A rough size of one encoded state of the track, to size messages."""
    for keyframe in track.keyframes:
        if keyframe.coords is not None:
            return 24 + 8 * int(keyframe.coords.size) + len(keyframe.attributes) * 16
    return 40


def frames_per_message(tracks: Sequence[Track], requested: int) -> int:
    if requested < 0 or requested > MAX_FRAMES_PER_MESSAGE:
        raise InvalidArgument.of("frames_per_message", f"in [1, {MAX_FRAMES_PER_MESSAGE}], "
                                                       "or 0 to let the server choose")
    if requested:
        return requested
    per_frame = sum(_state_bytes(t) for t in tracks) + 16
    return max(1, min(MAX_FRAMES_PER_MESSAGE, TARGET_MESSAGE_BYTES // per_frame))


def _filter(tracks: list[Track], wanted: Sequence[int]) -> list[Track]:
    if not wanted:
        return tracks
    present = {t.track_id for t in tracks}
    for i, track_id in enumerate(wanted):
        if track_id not in present:
            raise InvalidArgument.of(f"track_ids[{i}]", f"no track {track_id} in the sequence")
    keep = set(wanted)
    return [t for t in tracks if t.track_id in keep]


class InterpolationServicer:
    def __init__(self, stored: StoredLabels) -> None:
        self.stored = stored

    async def _source(self, request: pb.StreamFrameStatesRequest | pb.GetFrameStateRequest,
                      context: Context) -> Source:
        kind = request.WhichOneof("source")
        if kind == "inline":
            return inline_source(request.inline)
        if kind == "stored_label":
            identity = [(k, v) for k, v in context.invocation_metadata() or ()
                        if k == IDENTITY_METADATA_KEY]
            return await self.stored.source(request.stored_label, identity)
        raise InvalidArgument.of("source", "one of inline or stored_label is required")

    @staticmethod
    def _plan(source: Source, track_ids: Sequence[int]) -> tuple[list[Track], InterpolationPlan]:
        tracks = _filter(source.tracks, track_ids)
        try:
            plan = InterpolationPlan(tracks, source.frame_count, timestamps=source.timestamps,
                                     options=source.options)
        except InterpolationInputError as exc:
            if source.field == "inline":
                raise InvalidArgument.of(request_field(exc, "inline"), exc.message) from exc
            raise FailedPrecondition(f"the stored label cannot be interpolated: {exc}") from exc
        return tracks, plan

    @staticmethod
    def _encoder(source: Source, tracks: list[Track],
                 plan: InterpolationPlan) -> wire.FrameEncoder:
        return wire.FrameEncoder(plan.track_ids, plan.category_ids, [t.geometry for t in tracks],
                                 plan.attributes, plan.track_attributes, source.frame_timestamps)

    async def StreamFrameStates(self, request: pb.StreamFrameStatesRequest,
                                context: Context) -> AsyncIterator[bytes]:
        source = await self._source(request, context)
        tracks, plan = self._plan(source, request.track_ids)
        per_message = frames_per_message(tracks, request.frames_per_message)
        stop = request.end_frame or plan.frame_count
        try:
            blocks = plan.iter_blocks(request.start_frame, stop, per_message)
        except InterpolationInputError as exc:
            raise InvalidArgument.of(request_field(exc, source.field), exc.message) from exc
        encoder = self._encoder(source, tracks, plan)
        # Each block is computed when the previous message has been written: memory stays
        # bounded by one message whatever the sequence's length, and a cancelled call stops
        # at the next write.
        for block in blocks:
            yield wire.stream_response(encoder.frame_bodies(block), plan.frame_count)

    async def GetFrameState(self, request: pb.GetFrameStateRequest, context: Context) -> bytes:
        source = await self._source(request, context)
        tracks, plan = self._plan(source, request.track_ids)
        if not 0 <= request.frame < plan.frame_count:
            raise InvalidArgument.of("frame", f"must be in [0, {plan.frame_count})")
        block = plan.block(request.frame, request.frame + 1)
        body = self._encoder(source, tracks, plan).frame_bodies(block)[0]
        return wire.get_frame_response(body, plan.frame_count)


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
