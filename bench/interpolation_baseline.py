"""The obvious StreamFrameStates, for comparison: the same engine, one protobuf object per
state built in Python, serialized by the generated code. Run as a process:

    python -m bench.interpolation_baseline PORT
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator

import grpc

from framewise.interpolation.v1 import interpolation_pb2 as pb
from framewise.interpolation.v1 import interpolation_pb2_grpc
from services.interpolation.api import wire
from services.interpolation.api.converters import inline_source
from services.interpolation.domain import InterpolationPlan
from services.interpolation.service.streams import TARGET_MESSAGE_BYTES, engine_block_frames


class ObviousServicer(interpolation_pb2_grpc.InterpolationServiceServicer):
    async def StreamFrameStates(self, request: pb.StreamFrameStatesRequest,
                                context: grpc.aio.ServicerContext,
                                ) -> AsyncIterator[pb.StreamFrameStatesResponse]:
        source = inline_source(request.inline)
        plan = InterpolationPlan(source.tracks, source.frame_count, options=source.options)
        # About the same message size as the real server: ~45 bytes per bbox state.
        per_message = max(1, TARGET_MESSAGE_BYTES // (45 * len(source.tracks)))
        block_frames = engine_block_frames(len(source.tracks), per_message)
        for block in plan.iter_blocks(0, plan.frame_count, block_frames):
            states = block.states()  # one object per state, sorted by frame
            first = 0
            for start in range(block.start, block.stop, per_message):
                stop = min(start + per_message, block.stop)
                response = pb.StreamFrameStatesResponse(frame_count=plan.frame_count)
                frames = {f: response.frames.add(frame=f) for f in range(start, stop)}
                while first < len(states) and states[first].frame < stop:
                    state = states[first]
                    attributes = {**state.attributes, **state.track_attributes}
                    frames[state.frame].objects.add(
                        track_id=state.track_id, category_id=state.category_id,
                        geometry_type=wire.GEOMETRY_TYPE[state.geometry],
                        is_keyframe=state.is_keyframe,
                        coordinates=state.coords.reshape(-1).tolist(),
                        attributes_json=json.dumps(attributes) if attributes else "")
                    first += 1
                yield response


async def serve(port: int) -> None:
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64 << 20)])
    interpolation_pb2_grpc.add_InterpolationServiceServicer_to_server(ObviousServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
