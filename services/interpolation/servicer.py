"""framewise.interpolation.v1.InterpolationService over gRPC.

Responses leave as bytes already in wire format (services/interpolation/wire.py), so the
methods are registered with no response serializer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
import numpy as np

from framewise.connection import IDENTITY_METADATA_KEY
from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation import wire
from services.interpolation.ahead import ahead
from services.interpolation.converters import request_field
from services.interpolation.domain import InterpolationInputError, InterpolationPlan, TrackTable
from services.interpolation.sources import Source, StoredLabels, inline_source
from shared.errors import FailedPrecondition, InvalidArgument
from shared.limits import (
    MAX_FRAME_ENCODING_BYTES,
    MAX_FRAMES_PER_MESSAGE,
    MAX_OBJECT_STATE_BYTES,
    MAX_STREAM_AHEAD_BYTES,
    MAX_STREAM_STATES,
)
from shared.request_limits import enforce_limits

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["InterpolationService"]

# Messages of about this size: large enough to amortise the per-message cost, well under
# the 4 MiB default receive limit of gRPC clients in every language.
TARGET_MESSAGE_BYTES = 1_000_000
# States computed at once: enough to amortise the engine's per-block work.
ENGINE_BLOCK_STATES = 262_144
MAX_ENGINE_BLOCK_FRAMES = 4096
# Bytes of a block while it is encoded (states x the widest state, an upper bound: a bbox
# state takes about 42 of its 96): a stream holds its queued messages (at most
# MAX_STREAM_AHEAD_BYTES) plus about one block's working memory, so blocks stay about as
# big as that budget. Smaller blocks cost little: 1 MiB of them ran as fast as 32 MiB.
ENGINE_BLOCK_BYTES = 2 * 1024 * 1024
# A stream whose client has not taken its queued messages for this long gives back the
# working memory of its blocks (scratch arrays, the encoder's buffer): a stalled reader
# then holds only its queued messages. Not at once: a reader merely slower than the
# engine stalls it for a moment every block, and fresh pages cost more than the work.
RELEASE_IDLE_MEMORY_AFTER_S = 0.5


def check_frames_per_message(requested: int) -> int:
    if requested < 0 or requested > MAX_FRAMES_PER_MESSAGE:
        raise InvalidArgument.of("frames_per_message", f"at most {MAX_FRAMES_PER_MESSAGE} "
                                 f"(0 lets the server choose), got {requested}")
    return requested


def check_stream_size(request: pb.StreamFrameStatesRequest, source: Source) -> None:
    """At most MAX_STREAM_STATES object states (frames x tracks) per call, checked before
    any is computed: a longer stream is asked for in ranges of frames."""
    stop = min(request.end_frame or source.frame_count, source.frame_count)
    frames = max(0, stop - max(0, request.start_frame))
    wanted = len(set(request.track_ids))
    tracks = min(wanted, len(source.tracks)) if wanted else len(source.tracks)
    if frames * tracks > MAX_STREAM_STATES:
        raise InvalidArgument.of(
            "end_frame", f"at most {MAX_STREAM_STATES} object states (frames x tracks) per "
                         f"call, asked for {frames} frames x {tracks} tracks: stream a range "
                         "of frames (start_frame, end_frame) at a time")


def engine_block_frames(track_count: int, per_message: int, widest_state: int = 0) -> int:
    """Frames per engine block: about ENGINE_BLOCK_STATES states and at most about
    ENGINE_BLOCK_BYTES, a multiple of the requested frames per message."""
    tracks = max(1, track_count)
    frames = max(1, min(MAX_ENGINE_BLOCK_FRAMES, ENGINE_BLOCK_STATES // tracks,
                        ENGINE_BLOCK_BYTES // (tracks * max(1, widest_state))))
    if per_message:
        frames = max(per_message, frames - frames % per_message)
    return frames


def widest_state(tracks: TrackTable) -> int:
    """An upper bound of the bytes one object state takes while a block is encoded: the
    widest coordinates, flags and attributes (every state of a geometry is laid out as
    wide as the widest)."""
    def widest_json(documents: Sequence[Any]) -> int:
        return max((len(json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode())
                    for d in documents if d), default=0)

    values = int(tracks.value_counts.max(initial=0))
    flags = int(tracks.visibility_counts.max(initial=0))
    return (64 + 8 * values + 5 * flags + widest_json(tracks.attributes)
            + widest_json(tracks.track_attributes))


def check_encoding(tracks: TrackTable, per_message: int, field: str) -> int:
    """The widest state, within MAX_OBJECT_STATE_BYTES, and a message's frames x objects x
    the widest within MAX_FRAME_ENCODING_BYTES: checked before anything is encoded."""
    widest = widest_state(tracks)
    if widest > MAX_OBJECT_STATE_BYTES:
        raise InvalidArgument.of(field, f"at most {MAX_OBJECT_STATE_BYTES} bytes per object "
                                        f"state (coordinates and attributes), got {widest}")
    frames = max(1, per_message)
    if frames * len(tracks) * widest > MAX_FRAME_ENCODING_BYTES:
        raise InvalidArgument.of(
            "frames_per_message" if per_message > 1 else field,
            f"at most {MAX_FRAME_ENCODING_BYTES} bytes per message while encoding (frames x "
            f"objects x the widest object): {frames} x {len(tracks)} x {widest} bytes; ask "
            "for fewer tracks (track_ids) or frames per message")
    return widest


def _filter(tracks: TrackTable, wanted: Sequence[int]) -> TrackTable:
    if not wanted:
        return tracks
    ids = np.array(wanted, dtype=np.int64)
    missing = np.flatnonzero(~np.isin(ids, tracks.track_id))
    if missing.size:
        i = int(missing[0])
        raise InvalidArgument.of(f"track_ids[{i}]", f"no track {ids[i]} in the sequence")
    return tracks.select(np.isin(tracks.track_id, ids))


class _EncodedBlocks:
    """The encoded messages of a stream's frames, block after block (`next` runs on a
    worker thread, one call at a time)."""

    def __init__(self, plan: InterpolationPlan, encoder: wire.FrameEncoder, start: int,
                 stop: int, block_frames: int, per_message: int) -> None:
        self.plan, self.encoder = plan, encoder
        self.start, self.stop = start, stop
        self.block_frames, self.per_message = block_frames, per_message
        self.scratch: list[Any] | None = None

    def next(self) -> list[bytes] | None:
        if self.start >= self.stop:
            return None
        end = min(self.start + self.block_frames, self.stop)
        if self.scratch is None:
            self.scratch = self.plan.scratch(min(self.block_frames, self.stop - self.start))
        block = self.plan.block(self.start, end, self.scratch)
        self.start = end
        return self.encoder.messages(block, self.plan.frame_count, self.per_message,
                                     TARGET_MESSAGE_BYTES)

    def release(self) -> None:
        """Drops the working memory; called on the event loop while no block is computed
        (the stream is stalled), the next block allocates it again."""
        self.scratch = None
        self.encoder.release()


@enforce_limits(SERVICE)
class InterpolationServicer:
    def __init__(self, stored: StoredLabels) -> None:
        self.stored = stored

    async def _source(self, request: pb.StreamFrameStatesRequest | pb.GetFrameStateRequest,
                      context: Context) -> Source:
        kind = request.WhichOneof("source")
        if kind == "inline":
            return await asyncio.to_thread(inline_source, request.inline)
        if kind == "stored_label":
            identity = [(k, v) for k, v in context.invocation_metadata() or ()
                        if k == IDENTITY_METADATA_KEY]
            return await self.stored.source(request.stored_label, identity)
        raise InvalidArgument.of("source", "one of inline or stored_label is required")

    @staticmethod
    def _plan(source: Source, track_ids: Sequence[int],
              per_message: int = 0) -> tuple[InterpolationPlan, int]:
        """The plan and the widest of its states in bytes."""
        tracks = _filter(source.tracks, track_ids)
        field = ("track_ids" if track_ids
                 else "inline.tracks" if source.field == "inline" else "stored_label")
        widest = check_encoding(tracks, per_message, field)
        try:
            plan = InterpolationPlan(tracks, source.frame_count, timestamps=source.timestamps,
                                     options=source.options)
        except InterpolationInputError as exc:
            if source.field == "inline":
                raise InvalidArgument.of(request_field(exc, "inline"), exc.message) from exc
            raise FailedPrecondition(f"the stored label cannot be interpolated: {exc}") from exc
        return plan, widest

    @staticmethod
    def _encoder(source: Source, plan: InterpolationPlan) -> wire.FrameEncoder:
        return wire.FrameEncoder(plan.track_ids, plan.category_ids, plan.geometries,
                                 plan.attributes, plan.track_attributes, plan.attribute_tracks,
                                 source.frame_timestamps)

    async def StreamFrameStates(self, request: pb.StreamFrameStatesRequest,
                                context: Context) -> AsyncIterator[bytes]:
        source = await self._source(request, context)
        check_stream_size(request, source)
        # Validation and per-piece precompute take a while for big requests: off the loop.
        per_message = check_frames_per_message(request.frames_per_message)
        plan, widest = await asyncio.to_thread(self._plan, source, request.track_ids,
                                               per_message)
        stop = request.end_frame or plan.frame_count
        block_frames = engine_block_frames(len(plan.track_ids), per_message, widest)
        try:
            stop = plan.check_range(request.start_frame, stop, block_frames)
        except InterpolationInputError as exc:
            raise InvalidArgument.of(request_field(exc, source.field), exc.message) from exc
        blocks = _EncodedBlocks(plan, self._encoder(source, plan), request.start_frame, stop,
                                block_frames, per_message)
        # Blocks are computed on a worker thread while earlier messages are sent (numpy
        # releases the GIL), at most MAX_STREAM_AHEAD_BYTES ahead of what gRPC has taken:
        # gRPC takes only what the client's flow-control window lets it send, so a client
        # that stops reading stops the computing.
        loop = asyncio.get_running_loop()
        idle: asyncio.TimerHandle | None = None

        def stalled() -> None:
            nonlocal idle
            idle = loop.call_later(RELEASE_IDLE_MEMORY_AFTER_S, blocks.release)

        def resumed() -> None:
            if idle is not None:
                idle.cancel()

        # aclosing: a cancelled call stops the producer now, not when garbage is collected.
        try:
            async with contextlib.aclosing(ahead(blocks.next, MAX_STREAM_AHEAD_BYTES,
                                                 on_stall=stalled, on_resume=resumed)) as out:
                async for message in out:
                    yield message
        finally:
            resumed()

    async def GetFrameState(self, request: pb.GetFrameStateRequest, context: Context) -> bytes:
        source = await self._source(request, context)

        def compute() -> bytes:
            plan, _ = self._plan(source, request.track_ids)
            if not 0 <= request.frame < plan.frame_count:
                raise InvalidArgument.of("frame", f"must be in [0, {plan.frame_count})")
            block = plan.block(request.frame, request.frame + 1)
            return self._encoder(source, plan).messages(block, plan.frame_count,
                                                        per_message=1)[0]

        # Many tracks take a while to check and plan: off the event loop, as for streams,
        # so the service keeps answering other calls meanwhile.
        return await asyncio.to_thread(compute)


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
