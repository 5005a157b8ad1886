"""AsyncClient: the same surface with await / async for, against the running suite."""

from __future__ import annotations

import pytest

from framewise.client import AsyncClient, Conflict, InvalidArgument, NewSample, NotFound
from tests.sdk.conftest import BOX_CATEGORIES, Suite, bbox, frames, sequence_label, unique
from tests.support.tokens import token_for


async def test_async_client_end_to_end(suite: Suite) -> None:
    async with AsyncClient(addresses=suite.addresses, token=token_for("async-tester")) as fw:
        assert set((await fw.health()).values()) == {"SERVING"}
        dataset = await fw.add_dataset(unique("async"), "image-vector-sequence",
                                       task_attributes=BOX_CATEGORIES)
        assert dataset.owner == "async-tester"
        created = await fw.add_samples(
            dataset.id, [NewSample(f"drive-{i}", {"frames": frames(5)}) for i in range(5)],
            batch_size=2)
        listed = [s.id async for s in fw.list_samples(dataset.id, page_size=2)]
        assert sorted(listed) == sorted(s.id for s in created)

        sample = created[0].id
        first = await fw.add_label(sample, sequence_label(5, {0: [bbox(1, 0.0)],
                                                              4: [bbox(1, 40.0)]}))
        states = [s async for s in fw.iter_frames(sample)]
        assert states[2].objects[0].coordinates == pytest.approx([20.0, 0.0, 30.0, 10.0])
        updated = await fw.update_label(sample, status="reviewed")
        with pytest.raises(Conflict):
            await fw.update_label(sample, status="rejected", etag=first.etag)
        assert [x.status async for x in fw.list_labels(dataset.id)] == [updated.status]

        with pytest.raises(NotFound):
            await fw.get_sample(dataset.id)
        with pytest.raises(InvalidArgument) as caught:
            await fw.add_sample(dataset.id, NewSample("", {"frames": []}))
        assert "sample.name" in caught.value.fields
        clone = await fw.clone_dataset(dataset.id, dataset.name + "-copy")
        assert clone.sample_count == 5
        await fw.delete_dataset(clone.id)
        with pytest.raises(NotFound):
            await fw.find_dataset(clone.name)
