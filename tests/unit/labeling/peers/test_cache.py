"""The dataset client's cache: entries expire, concurrent misses share one fetch."""

from __future__ import annotations

import asyncio

import pytest

from services.labeling.peers.dataset import TTLCache
from tests.support.clock import FakeClock


async def test_concurrent_misses_share_one_fetch_and_entries_expire() -> None:
    calls = 0
    release = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await release.wait()  # every other caller arrives while this fetch is running
        return calls

    clock = FakeClock()
    cache: TTLCache[str, int] = TTLCache(ttl_s=5, clock=clock)
    waiting = [asyncio.create_task(cache.get("k", fetch)) for _ in range(10)]
    await asyncio.sleep(0)  # let every caller reach the cache
    assert calls == 1
    release.set()
    assert await asyncio.gather(*waiting) == [1] * 10
    clock.advance(4.999)
    assert await cache.get("k", fetch) == 1
    clock.advance(0.001)  # exactly the TTL: expired
    assert await cache.get("k", fetch) == 2
    assert calls == 2


async def test_errors_are_not_cached_and_size_is_bounded() -> None:
    async def missing() -> int:
        raise KeyError("gone")

    cache: TTLCache[int, int] = TTLCache(ttl_s=10, max_entries=3)
    with pytest.raises(KeyError):
        await cache.get(0, missing)

    async def value() -> int:
        return 7

    for key in range(5):
        await cache.get(key, value)
    assert len(cache._entries) == 3
