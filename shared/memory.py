"""Freed heap memory given back to the operating system after streams end (glibc only).

A stream allocates and frees blocks of a megabyte or two on worker threads; glibc keeps
what was freed in each thread's arena for reuse rather than returning it. Measured on the
interpolation service: 40 cancelled streams left the process 140 MB above idle, and one
malloc_trim(0) brought it back within 10 MB of idle. So a trim runs shortly after
streams end (one for all those ending close together).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger("framewise.memory")

# Long enough for a cancelled stream's worker thread to finish the block it was on (its
# memory is freed then) and for streams ending together to share one trim.
TRIM_DELAY_S = 0.5


def _libc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim  # absent from musl: AttributeError
    except (OSError, AttributeError):
        return None


_malloc_trim = _libc_trim()
_scheduled: set[asyncio.AbstractEventLoop] = set()


def _trim(loop: asyncio.AbstractEventLoop) -> None:
    _scheduled.discard(loop)
    if _malloc_trim is not None:
        # On a worker thread: a trim walks every arena, which can take milliseconds.
        loop.run_in_executor(None, _malloc_trim, 0)


def trim_soon() -> None:
    """Schedules one malloc_trim(0) TRIM_DELAY_S from now on the running event loop,
    unless one is already scheduled; does nothing without glibc or a running loop."""
    if _malloc_trim is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if loop in _scheduled or loop.is_closed():
        return
    _scheduled.add(loop)
    loop.call_later(TRIM_DELAY_S, _trim, loop)
