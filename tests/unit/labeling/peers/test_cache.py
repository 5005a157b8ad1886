"""The dataset client's cache: entries expire, concurrent misses share one fetch."""

from __future__ import annotations

import asyncio

import pytest

from services.labeling.peers.dataset import TTLCache


async def test_concurrent_misses_share_one_fetch_and_entries_expire() -> None:
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    cache: TTLCache[str, int] = TTLCache(ttl_s=0.05)
    assert await asyncio.gather(*(cache.get("k", fetch) for _ in range(10))) == [1] * 10
    assert await cache.get("k", fetch) == 1
    await asyncio.sleep(0.06)
    assert await cache.get("k", fetch) == 2


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
