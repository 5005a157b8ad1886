"""Batched calls: one item whose data fails the batch's statement fails alone."""

from __future__ import annotations

import asyncio

import pytest

from services.labeling.storage.batching import Batcher
from shared.errors import Unavailable


class _Store:
    """A batched statement that, like a transaction, writes all its items or none."""

    def __init__(self, error: type[Exception] = ValueError) -> None:
        self.error = error
        self.written: list[str] = []
        self.calls: list[list[str]] = []

    async def call(self, items: list[str]) -> list[str]:
        self.calls.append(list(items))
        if "bad" in items:
            raise self.error("a value the database refuses")
        self.written.extend(items)
        return [f"ok:{x}" for x in items]


async def _together(batcher: Batcher[str, str], items: list[str]) -> list[object]:
    # Submitted in one loop turn: they go as one batch.
    return await asyncio.gather(*(batcher.submit(x) for x in items), return_exceptions=True)


async def test_one_refused_item_fails_alone_and_the_rest_of_its_batch_is_written() -> None:
    store = _Store()
    results = await _together(Batcher(store.call), ["a", "b", "bad", "c"])
    assert results[:2] == ["ok:a", "ok:b"] and results[3] == "ok:c"
    assert isinstance(results[2], ValueError)
    assert store.written == ["a", "b", "c"]
    assert store.calls == [["a", "b", "bad", "c"], ["a"], ["b"], ["bad"], ["c"]]


async def test_a_connection_error_fails_the_whole_batch_without_a_retry() -> None:
    # A commit may have happened: going again could write twice.
    store = _Store(ConnectionResetError)
    results = await _together(Batcher(store.call), ["a", "b", "bad"])
    assert all(isinstance(r, Unavailable) for r in results)
    assert store.calls == [["a", "b", "bad"]]


@pytest.mark.parametrize("error", [RuntimeError, KeyError])
async def test_other_errors_reach_every_caller_of_the_batch(error: type[Exception]) -> None:
    store = _Store(error)
    results = await _together(Batcher(store.call), ["a", "b", "bad"])
    assert all(isinstance(r, error) for r in results) and store.written == []
