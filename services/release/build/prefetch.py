"""Several byte streams read ahead concurrently, their chunks yielded strictly in order.

A sequence release is written sample after sample; each sample's frames come from its
own interpolation stream, formatted on worker processes. Read one at a time, the
workers idle while the next sample is set up (its frames fetched, its stream opened,
the first messages formatted). Reading the next samples ahead, each into a small
bounded buffer, keeps them busy, while memory stays bounded by window x buffer chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterable


class _Reader:
    """One stream read by its own task into a bounded queue."""

    def __init__(self, source: AsyncGenerator[bytes, None], buffer: int) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=buffer)
        self.task = asyncio.create_task(self._run(source))

    async def _run(self, source: AsyncGenerator[bytes, None]) -> None:
        async with contextlib.aclosing(source):
            async for chunk in source:
                await self.queue.put(chunk)

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            getter = asyncio.ensure_future(self.queue.get())
            await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
                continue
            getter.cancel()
            while not self.queue.empty():  # the stream ended: what it left, then how
                yield self.queue.get_nowait()
            self.task.result()  # raises what the stream raised
            return

    def cancel(self) -> None:
        self.task.cancel()


async def in_order(sources: Iterable[AsyncGenerator[bytes, None]], window: int = 2,
                   buffer: int = 8) -> AsyncIterator[bytes]:
    """Every chunk of every source, source after source, with up to `window` sources
    being read at once, each at most `buffer` chunks ahead of the writer."""
    pending = iter(sources)
    readers: deque[_Reader] = deque()
    try:
        while True:
            while len(readers) < max(1, window):
                source = next(pending, None)
                if source is None:
                    break
                readers.append(_Reader(source, buffer))
            if not readers:
                return
            async for chunk in readers[0].chunks():
                yield chunk
            readers.popleft()
    finally:
        for reader in readers:
            reader.cancel()
        if readers:
            await asyncio.gather(*(r.task for r in readers), return_exceptions=True)
