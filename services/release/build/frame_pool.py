"""Sequence frames formatted to release JSON on worker processes.

Writing out a sequence is one shortest-repr float per coordinate (about a microsecond
each here) for millions of objects: the one CPU-bound step of a build. Raw interpolation
messages go to a small process pool, which parses and formats them; the build writes
the results in order, with a bounded number in flight, so memory stays flat.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from framewise.interpolation.v1 import interpolation_pb2 as ipb
from services.release.build.frame_layouts import frame_texts
from services.release.domain import release_file as rf
from services.release.peers import convert as conv


def format_frames(data: bytes, dims: int, extras: Sequence[dict[str, Any] | None],
                  first: bool) -> bytes:
    """The release-file lines of the frames of one StreamFrameStates message.

    extras: per frame of the message, in order, what the stored label adds (timestamp,
    image attributes). first: the message holds the label's first frame.
    """
    texts = frame_texts(data, dims, extras)
    if texts is None:  # not laid out as the fast path expects: the parser reads it
        message = ipb.StreamFrameStatesResponse.FromString(data)
        texts = [conv.frame_json(state, dims, extras[i])
                 for i, state in enumerate(message.frames)]
    return "".join([rf.frame(first and i == 0, text) for i, text in enumerate(texts)]).encode()


def frame_span(data: bytes) -> tuple[int, int]:
    """(first frame index, number of frames) of a message: a cheap parse, no formatting."""
    message = ipb.StreamFrameStatesResponse.FromString(data)
    if not message.frames:
        return 0, 0
    return message.frames[0].frame, len(message.frames)


def _exit_with(parent: int) -> None:
    """Worker initializer: a worker whose service is killed (SIGKILL, the OOM killer)
    exits too. It would otherwise wait on its task queue forever: it holds that queue's
    write end itself, so it never sees the end of it."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class FramePool:
    """Formats messages on `workers` processes (0: on the event loop's thread)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            # spawn: forking a process that runs gRPC and an event loop is unsafe.
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with, initargs=(os.getpid(),))
        return self._executor

    async def format(self, messages: AsyncIterator[bytes], dims: int,
                     stored: Sequence[dict[str, Any] | None]) -> AsyncIterator[bytes]:
        """The lines of every frame of a stream of raw messages, in order."""
        if self.workers <= 0:
            first = True
            async for data in messages:
                start, count = frame_span(data)
                yield format_frames(data, dims, _extras(stored, start, count), first)
                first = first and count == 0
            return
        pool = self._pool()
        pending: deque[Future[bytes]] = deque()
        limit = 2 * self.workers + 2
        first = True
        async for data in messages:
            start, count = frame_span(data)
            pending.append(pool.submit(format_frames, data, dims,
                                       _extras(stored, start, count), first))
            first = first and count == 0
            while len(pending) >= limit:
                yield await asyncio.wrap_future(pending.popleft())
        while pending:
            yield await asyncio.wrap_future(pending.popleft())

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _extras(stored: Sequence[dict[str, Any] | None], start: int,
            count: int) -> list[dict[str, Any] | None]:
    out = list(stored[start:start + count])
    return out + [None] * (count - len(out))
