"""32 concurrent writers doing read-modify-write with etags: no acknowledged update lost."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from framewise.labeling.v1 import labeling_pb2 as pb
from tests.service.labeling.helpers import Stack, count_of, counter_label

WRITERS = 32
INCREMENTS = 4


# 20 s on SQLite: left to `make test`, out of `make test-fast`.
@pytest.mark.slow
async def test_concurrent_read_modify_write_loses_nothing(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    await stack.save(sample.id, counter_label(0))
    acknowledged = 0
    aborted = 0

    async def writer() -> None:
        nonlocal acknowledged, aborted
        for _ in range(INCREMENTS):
            while True:
                current = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
                try:
                    await stack.save(sample.id, counter_label(count_of(current) + 1),
                                     etag=current.etag)
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.ABORTED, exc
                    aborted += 1
                    continue
                acknowledged += 1
                break

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    final = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
    assert acknowledged == WRITERS * INCREMENTS
    assert count_of(final) == acknowledged
    history = await stack.labeling.ListLabelRevisions(
        pb.ListLabelRevisionsRequest(sample_id=sample.id, page_size=1000))
    assert len(history.revisions) == acknowledged + 1


async def test_concurrent_first_saves_without_etag_all_land(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    saved = await asyncio.gather(*(stack.save(sample.id, counter_label(i)) for i in range(16)))
    history = await stack.labeling.ListLabelRevisions(
        pb.ListLabelRevisionsRequest(sample_id=sample.id, page_size=100))
    assert sorted(x.revision for x in saved) == sorted(x.revision for x in history.revisions)
