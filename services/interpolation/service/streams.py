"""A stream's sizing, limits, track filter and plan, and its messages block after block.

Messages are computed as bytes already in wire format (the encoder the transport gives,
services/interpolation/api/wire.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from services.interpolation.domain import (
    FrameBlock,
    InterpolationInputError,
    InterpolationPlan,
    TrackTable,
)
from services.interpolation.domain.source import Source
from shared.errors import FailedPrecondition, InvalidArgument
from shared.limits import (
    MAX_FRAME_ENCODING_BYTES,
    MAX_FRAMES_PER_MESSAGE,
    MAX_OBJECT_STATE_BYTES,
    MAX_STREAM_STATES,
)

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


# Engine field names -> request field names.
_RENAMES = [
    (re.compile(r"\.coords\b"), ".coordinates"),
    (re.compile(r"\.track_attributes\b"), ".track_attributes_json"),
    (re.compile(r"\.attributes\b"), ".attributes_json"),
    (re.compile(r"\.geometry\b"), ".geometry_type"),
]
_TOP_LEVEL = {"start": "start_frame", "stop": "end_frame", "frame": "frame"}


def request_field(error: InterpolationInputError, source: str) -> str:
    """The request field an engine error is about, e.g. inline.tracks[2].keyframes[0].frame."""
    field = error.field
    if field in _TOP_LEVEL:
        return _TOP_LEVEL[field]
    for pattern, replacement in _RENAMES:
        field = pattern.sub(replacement, field)
    return f"{source}.{field}"


def check_frames_per_message(requested: int) -> int:
    if requested < 0 or requested > MAX_FRAMES_PER_MESSAGE:
        raise InvalidArgument.of("frames_per_message", f"at most {MAX_FRAMES_PER_MESSAGE} "
                                 f"(0 lets the server choose), got {requested}")
    return requested


def check_stream_size(start_frame: int, end_frame: int, track_ids: Sequence[int],
                      source: Source) -> None:
    """At most MAX_STREAM_STATES object states (frames x tracks) per call, checked before
    any is computed: a longer stream is asked for in ranges of frames."""
    stop = min(end_frame or source.frame_count, source.frame_count)
    frames = max(0, stop - max(0, start_frame))
    wanted = len(set(track_ids))
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


class Encoder(Protocol):
    """Encodes blocks of frame states to messages (api/wire.py's FrameEncoder)."""

    def messages(self, block: FrameBlock, frame_count: int, per_message: int = 0,
                 target_bytes: int = 1 << 20) -> list[bytes]: ...

    def release(self) -> None: ...


class EncodedBlocks:
    """The encoded messages of a stream's frames, block after block (`next` runs on a
    worker thread, one call at a time)."""

    def __init__(self, plan: InterpolationPlan, encoder: Encoder, start: int,
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




def plan_of(source: Source, track_ids: Sequence[int],
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
