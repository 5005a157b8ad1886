"""The interpolation service's use cases: a sequence's frame states from its keyframes,
sent inline or stored, no gRPC.

A stream is sized and checked against the limits before anything is computed, then its
blocks are computed on a worker thread at most MAX_STREAM_AHEAD_BYTES ahead of what the
transport has taken (service.ahead), and encoded by the transport's encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.domain import InterpolationInputError, InterpolationPlan
from services.interpolation.domain.source import Source
from services.interpolation.peers.stored_labels import StoredLabels
from services.interpolation.service.ahead import ahead
from services.interpolation.service.streams import (
    RELEASE_IDLE_MEMORY_AFTER_S,
    EncodedBlocks,
    Encoder,
    check_frames_per_message,
    check_stream_size,
    engine_block_frames,
    plan_of,
    request_field,
)
from shared.errors import InvalidArgument
from shared.limits import MAX_STREAM_AHEAD_BYTES

# The transport's encoder of a plan's frame states (api/converters.py: frame_encoder).
EncoderFactory = Callable[[Source, InterpolationPlan], Encoder]


class InterpolationService:
    def __init__(self, stored: StoredLabels, encoder: EncoderFactory) -> None:
        self.stored = stored
        self.encoder = encoder

    async def stored_source(self, message: pb.StoredLabel) -> Source:
        """A label stored in the labeling service, read as the caller."""
        return await self.stored.source(message)

    async def frame_states(self, source: Source, start_frame: int, end_frame: int,
                           track_ids: Sequence[int],
                           frames_per_message: int) -> AsyncIterator[bytes]:
        check_stream_size(start_frame, end_frame, track_ids, source)
        # Validation and per-piece precompute take a while for big requests: off the loop.
        per_message = check_frames_per_message(frames_per_message)
        plan, widest = await asyncio.to_thread(plan_of, source, track_ids, per_message)
        stop = end_frame or plan.frame_count
        block_frames = engine_block_frames(len(plan.track_ids), per_message, widest)
        try:
            stop = plan.check_range(start_frame, stop, block_frames)
        except InterpolationInputError as exc:
            raise InvalidArgument.of(request_field(exc, source.field), exc.message) from exc
        blocks = EncodedBlocks(plan, self.encoder(source, plan), start_frame, stop,
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

    async def frame_state(self, source: Source, frame: int, track_ids: Sequence[int]) -> bytes:
        def compute() -> bytes:
            plan, _ = plan_of(source, track_ids)
            if not 0 <= frame < plan.frame_count:
                raise InvalidArgument.of("frame", f"must be in [0, {plan.frame_count})")
            block = plan.block(frame, frame + 1)
            return self.encoder(source, plan).messages(block, plan.frame_count,
                                                       per_message=1)[0]

        # Many tracks take a while to check and plan: off the event loop, as for streams,
        # so the service keeps answering other calls meanwhile.
        return await asyncio.to_thread(compute)

