"""A stream's messages computed on a worker thread, at most a budget of bytes ahead of gRPC.

gRPC asks a streaming handler for its next message only once the previous one is sent, and
sends only as far as the client's flow-control window allows: a client that stops reading
stops the handler. What the handler computes meanwhile is what it holds, so the producer
here computes the next block only while fewer than `budget` bytes wait to be taken: an
unread stream holds at most about `budget` plus one block, whatever its frame count.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Sequence

from prometheus_client import Counter

ENCODED_BYTES = Counter("framewise_interpolation_encoded_bytes_total",
                        "Bytes of StreamFrameStates messages computed, sent or not.")
STALLS = Counter("framewise_interpolation_stream_stalls_total",
                 "Times a stream stopped computing because as many bytes as its budget "
                 "waited for its client (a slow or stalled reader).")

# Computes the next messages (on a worker thread); None when there are no more.
Produce = Callable[[], Sequence[bytes] | None]


async def ahead(produce: Produce, budget: int, *,
                on_stall: Callable[[], None] | None = None,
                on_resume: Callable[[], None] | None = None) -> AsyncGenerator[bytes, None]:
    """The messages of `produce`, computed on a worker thread while earlier ones are sent,
    never more than `budget` bytes (plus one call's worth) ahead of the caller.

    on_stall and on_resume run on the event loop when the producer stops for the budget
    and when it goes on (e.g. to release working memory while a client does not read).
    Closing the iterator stops the producer; a block being computed is finished and
    dropped (a thread cannot be interrupted).
    """
    loop = asyncio.get_running_loop()
    queue: deque[bytes] = deque()
    held = 0  # bytes in the queue
    room = asyncio.Event()
    more = asyncio.Event()

    async def fill() -> None:
        nonlocal held
        while True:
            if held >= budget:
                STALLS.inc()
                if on_stall is not None:
                    on_stall()
                room.clear()
                await room.wait()
                if on_resume is not None:
                    on_resume()
                continue
            messages = await loop.run_in_executor(None, produce)
            if messages is None:
                return
            size = sum(len(m) for m in messages)
            ENCODED_BYTES.inc(size)
            queue.extend(messages)
            held += size
            more.set()

    # Everything below runs on the event loop: no lock between the producer and the reader.
    producer = asyncio.create_task(fill())
    producer.add_done_callback(lambda _: more.set())
    try:
        while True:
            if queue:
                message = queue.popleft()
                held -= len(message)
                if held < budget:
                    room.set()
                yield message
                del message  # not held while the next one is waited for
                continue
            if producer.done():
                producer.result()  # what the producer raised, if anything
                return
            more.clear()
            await more.wait()
    finally:
        producer.cancel()
        if producer.done() and not producer.cancelled():
            producer.exception()  # retrieved: a failure nobody reads is not logged as lost
        queue.clear()
