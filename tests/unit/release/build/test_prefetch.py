"""Streams read ahead: chunks in order, a bounded window, failures and early exits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import pytest

from services.release.build.prefetch import in_order


class Recorder:
    def __init__(self) -> None:
        self.running = 0
        self.most_running = 0
        self.closed: list[int] = []

    async def stream(self, index: int, chunks: int,
                     fail_at: int | None = None) -> AsyncGenerator[bytes, None]:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            for i in range(chunks):
                if i == fail_at:
                    raise ValueError(f"stream {index} broke at {i}")
                # Later streams are faster: order must come from the reader, not timing.
                await asyncio.sleep(0.002 * (5 - index % 5))
                yield f"{index}:{i};".encode()
        finally:
            self.running -= 1
            self.closed.append(index)


async def collect(stream: AsyncGenerator[bytes, None]) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def test_chunks_come_source_after_source_in_order() -> None:
    recorder = Recorder()
    got = await collect(in_order((recorder.stream(i, 4) for i in range(7)), window=3))
    assert got == b"".join(f"{i}:{c};".encode() for i in range(7) for c in range(4))


async def test_at_most_window_sources_are_read_at_once() -> None:
    recorder = Recorder()
    await collect(in_order((recorder.stream(i, 20) for i in range(6)), window=2, buffer=2))
    assert recorder.most_running == 2
    assert sorted(recorder.closed) == list(range(6))


async def test_a_failing_source_fails_the_whole_and_stops_the_others() -> None:
    recorder = Recorder()
    got: list[bytes] = []
    with pytest.raises(ValueError, match="stream 1 broke at 2"):
        async for chunk in in_order((recorder.stream(i, 30, fail_at=2 if i == 1 else None)
                                     for i in range(4)), window=3):
            got.append(chunk)
    assert b"".join(got).startswith(b"0:0;0:1;")
    assert b"1:0;1:1;" in b"".join(got)
    assert recorder.running == 0  # every stream started was closed


async def test_leaving_early_closes_the_streams_read_ahead() -> None:
    recorder = Recorder()
    stream = in_order((recorder.stream(i, 50) for i in range(5)), window=3)
    async with contextlib.aclosing(stream):
        async for chunk in stream:
            if chunk == b"0:3;":
                break
    assert recorder.running == 0
    assert recorder.most_running == 3
