"""Frames formatted on worker processes are the frames formatted in process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from framewise.common.v1 import common_pb2
from framewise.interpolation.v1 import interpolation_pb2 as ipb
from services.release.build.frame_pool import FramePool


def _messages() -> list[bytes]:
    out = []
    for start in (0, 3, 6):
        message = ipb.StreamFrameStatesResponse(frame_count=8)
        for frame in range(start, min(start + 3, 8)):
            state = message.frames.add(frame=frame)
            state.objects.add(track_id=1, category_id=2,
                              geometry_type=common_pb2.GEOMETRY_TYPE_BBOX,
                              is_keyframe=frame == 0,
                              coordinates=[frame + 0.1, 2.0, frame + 10.0, 12.0])
        out.append(message.SerializeToString())
    return out


async def _stream(items: list[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def _format(workers: int) -> str:
    pool = FramePool(workers)
    stored = [{"timestamp": i / 10} for i in range(8)]
    try:
        return b"".join([x async for x in pool.format(_stream(_messages()), 2, stored)]).decode()
    finally:
        pool.close()


async def test_pool_and_in_process_agree_and_make_a_json_array():
    in_process = await _format(0)
    assert await _format(2) == in_process
    frames = json.loads("[" + in_process + "]")
    assert [f["timestamp"] for f in frames] == [i / 10 for i in range(8)]
    assert [f["annotations"][0]["points"][0][0] for f in frames] == [i + 0.1 for i in range(8)]
    assert frames[0]["annotations"][0]["is_keyframe"] is True
