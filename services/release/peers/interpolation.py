"""The interpolation service, as a release build reads it: every frame of a sequence
label's tracks.

The one peer call that does not return domain types: its frame states stay encoded
`StreamFrameStatesResponse` bytes, decoded (peers.convert.frame_json) where they are
formatted, in the build's formatting processes (build.frame_pool).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc

from framewise.interpolation.v1 import interpolation_pb2
from services.release.peers import convert
from shared.auth import AuthConfig
from shared.auth_grpc import acting_as
from shared.labels.sequences import StoredTrack
from shared.peers import translate

# A stream's deadline: generous, but a wedged peer still fails the build in the end.
STREAM_DEADLINE_S = 3600.0


class InterpolationPeer:
    def __init__(self, channel: grpc.aio.Channel, auth: AuthConfig | None) -> None:
        # No stub for the interpolation service: a stub would register the method with
        # its deserializer on the channel, and these messages must stay raw bytes.
        self.raw_frame_states = channel.unary_stream(
            "/framewise.interpolation.v1.InterpolationService/StreamFrameStates",
            request_serializer=interpolation_pb2.StreamFrameStatesRequest.SerializeToString,
            response_deserializer=None)
        self.auth = auth

    def _as(self, user: str) -> tuple[tuple[str, str], ...]:
        """Calls act for the release's creator, also in a build resumed after a restart."""
        return acting_as(user, self.auth)

    def frame_states(self, tracks: Sequence[StoredTrack], stamps: Sequence[float | None],
                     dataset: dict[str, Any], dims: int, sample_id: str, label_set: str,
                     user: str) -> AsyncIterator[bytes]:
        """Every frame's object states of a sequence's tracks, in order, as the raw
        messages: `stamps` has a timestamp (or None) per frame of the sample, `dataset`
        is the release's dataset header (its interpolation settings)."""
        request = convert.inline_request(tracks, stamps, dataset, dims)
        return self._stream(request, sample_id, label_set, user)

    async def _stream(self, request: interpolation_pb2.StreamFrameStatesRequest,
                      sample_id: str, label_set: str, user: str) -> AsyncIterator[bytes]:
        call = self.raw_frame_states(request, metadata=self._as(user),
                                     timeout=STREAM_DEADLINE_S)
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "interpolation", "label", f"{sample_id}/{label_set}") from exc
        finally:
            call.cancel()
