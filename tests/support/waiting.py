"""Waiting for a condition instead of sleeping for a guessed time.

For what another task or process does in its own time: poll the condition until it
holds, and fail naming what was waited for when it does not within the timeout (the
timeout is a bound for a broken run, generous for a loaded machine, never the expected
duration).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0


def _failure(what: str, timeout_s: float, last: object) -> AssertionError:
    return AssertionError(f"timed out after {timeout_s:g}s waiting until {what} "
                          f"(last seen: {last!r})")


def wait_until(predicate: Callable[[], T], what: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
               interval_s: float = 0.05) -> T:
    """Calls `predicate` until it returns something true, and returns that (blocking)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(what, timeout_s, value)
        time.sleep(interval_s)


async def wait_until_async(predicate: Callable[[], T | Awaitable[T]], what: str, *,
                           timeout_s: float = DEFAULT_TIMEOUT_S,
                           interval_s: float = 0.01) -> T:
    """Like `wait_until` inside an event loop; `predicate` may be a coroutine function."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise _failure(what, timeout_s, value)
        await asyncio.sleep(interval_s)
