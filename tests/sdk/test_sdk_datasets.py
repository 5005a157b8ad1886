"""The SDK on datasets, samples, label sets and collaborators, against the running suite."""

from __future__ import annotations

import pytest

from framewise.client import (
    Client,
    Conflict,
    DatasetSettings,
    InvalidArgument,
    NewSample,
    NotFound,
)
from tests.sdk.conftest import BOX_CATEGORIES, unique


def _images(count: int) -> list[NewSample]:
    return [NewSample(f"img-{i:03d}.jpg", {"image": {"url": f"https://cdn/img-{i:03d}.jpg"}},
                      metadata={"city": "Berlin" if i % 2 else "Paris"}, priority=i)
            for i in range(count)]


def test_dataset_lifecycle_with_python_types(client: Client) -> None:
    name = unique("boxes")
    dataset = client.add_dataset(name, "bboxes", description="street",
                                 task_attributes=BOX_CATEGORIES, metadata={"team": "cv"},
                                 settings=DatasetSettings("timestamp"))
    assert dataset.task_type == "bboxes"
    assert dataset.owner == "local"
    assert [c.name for c in dataset.task_attributes.categories] == ["car", "person"]
    assert dataset.task_attributes.categories[0].attributes[0].input_type == "checkbox"
    assert dataset.settings.interpolation_mode == "timestamp"
    assert dataset.metadata == {"team": "cv"}
    assert dataset.create_time is not None

    assert client.get_dataset(dataset.id) == dataset
    assert client.find_dataset(name).id == dataset.id
    assert [d.id for d in client.list_datasets(name_contains=name)] == [dataset.id]

    updated = client.update_dataset(dataset.id, description="night", etag=dataset.etag)
    assert (updated.description, updated.name) == ("night", name)
    with pytest.raises(Conflict) as stale:
        client.update_dataset(dataset.id, description="again", etag=dataset.etag)
    assert stale.value.reason == "STALE_ETAG"

    client.delete_dataset(dataset.id)
    with pytest.raises(NotFound) as missing:
        client.get_dataset(dataset.id)
    assert missing.value.reason == "NOT_FOUND"
    assert missing.value.metadata["key"] == dataset.id


def test_invalid_argument_names_every_field(client: Client) -> None:
    with pytest.raises(InvalidArgument) as caught:
        client.add_dataset("no spaces allowed", "bboxes",
                           task_attributes={"categories": [{"id": 1, "name": "a"},
                                                           {"id": 1, "name": "b"}]})
    assert "dataset.name" in caught.value.fields
    assert "dataset.task_attributes.categories[1].id" in caught.value.fields
    assert all(v.description for v in caught.value.field_violations)
    with pytest.raises(InvalidArgument) as unknown:
        client.add_dataset(unique("x"), "triangles")
    assert unknown.value.fields == ["dataset.task_type"]


def test_samples_batches_filters_paging_update_delete(client: Client) -> None:
    dataset = client.add_dataset(unique("samples"), "bboxes", task_attributes=BOX_CATEGORIES)
    progress: list[tuple[int, int]] = []
    created = client.add_samples(dataset.id, _images(7), batch_size=3,
                                 progress=lambda done, batch: progress.append((done, batch)))
    assert progress == [(3, 3), (6, 3), (7, 1)]
    assert [s.name for s in created] == [f"img-{i:03d}.jpg" for i in range(7)]
    assert created[0].attributes == {"image": {"url": "https://cdn/img-000.jpg"}}

    single = client.add_sample(dataset.id, {"name": "one.jpg",
                                            "attributes": {"image": {"url": "https://cdn/1"}}})
    assert client.get_sample(single.id) == single
    paged = list(client.list_samples(dataset.id, page_size=2, order_by="name"))
    assert len(paged) == 8 and paged[0].name == "img-000.jpg"
    berlin = list(client.list_samples(dataset.id, metadata_filter={"city": "Berlin"}))
    assert sorted(s.name for s in berlin) == ["img-001.jpg", "img-003.jpg", "img-005.jpg"]
    assert [s.name for s in client.list_samples(dataset.id, name_contains="one")] == ["one.jpg"]

    moved = client.update_sample(single.id, priority=9, metadata={"city": "Rome"},
                                 etag=single.etag)
    assert (moved.priority, moved.metadata) == (9, {"city": "Rome"})
    with pytest.raises(Conflict):
        client.update_sample(single.id, priority=1, etag=single.etag)
    client.delete_sample(single.id)
    with pytest.raises(NotFound):
        client.get_sample(single.id)
    assert client.get_dataset(dataset.id).sample_count == 7


def test_a_bad_sample_in_a_later_batch_is_named_by_its_index(client: Client) -> None:
    dataset = client.add_dataset(unique("bad-batch"), "bboxes")
    samples = _images(5)
    samples[4] = NewSample("broken.jpg", {"image": {}})
    with pytest.raises(InvalidArgument) as caught:
        client.add_samples(dataset.id, samples, batch_size=2)
    assert caught.value.fields == ["samples[4].attributes_json.image.url"]


def test_sequences_frames_and_clone(client: Client) -> None:
    dataset = client.add_dataset(unique("seqs"), "image-vector-sequence",
                                 task_attributes=BOX_CATEGORIES)
    frames = [{"image": {"url": f"https://cdn/{i}.jpg"}, "name": str(i), "timestamp": i / 10}
              for i in range(6)]
    sample = client.add_sample(dataset.id, NewSample("drive", {"frames": frames}))
    assert sample.frame_count == 6
    listed = client.get_sample_frames(sample.id)
    assert [f.index for f in listed] == list(range(6))
    assert listed[2].timestamp == pytest.approx(0.2) and listed[2].url == "https://cdn/2.jpg"

    client.add_label_set(dataset.id, "model-a", "predictions")
    client.add_label(sample.id, {"format_version": "0.2", "frames": [{"annotations": []}] * 6},
                     label_set="model-a", score=0.5, status="prelabeled")
    clone = client.clone_dataset(dataset.id, dataset.name + "-copy")
    assert clone.id != dataset.id and clone.sample_count == 1
    assert clone.task_attributes == dataset.task_attributes
    assert {s.name for s in client.list_label_sets(clone.id)} == {"ground-truth", "model-a"}
    (copied,) = client.list_samples(clone.id)
    label = client.get_label(copied.id, "model-a")
    assert (label.status, label.score) == ("prelabeled", 0.5)


def test_label_sets_and_collaborators(client: Client) -> None:
    dataset = client.add_dataset(unique("collab"), "bboxes")
    label_set = client.add_label_set(dataset.id, "predictions", "model v1")
    assert client.get_label_set(dataset.id, "predictions") == label_set
    assert {s.name: s.is_default for s in client.list_label_sets(dataset.id)} == {
        "ground-truth": True, "predictions": False}
    client.delete_label_set(dataset.id, "predictions")
    with pytest.raises(NotFound):
        client.get_label_set(dataset.id, "predictions")

    added = client.add_collaborator(dataset.id, "bob", "labeler")
    assert (added.user, added.role) == ("bob", "labeler")
    assert client.update_collaborator(dataset.id, "bob", "reviewer").role == "reviewer"
    assert [(c.user, c.role) for c in client.list_collaborators(dataset.id)
            if c.user == "bob"] == [("bob", "reviewer")]
    client.remove_collaborator(dataset.id, "bob")
    assert all(c.user != "bob" for c in client.list_collaborators(dataset.id))
    with pytest.raises(InvalidArgument) as caught:
        client.add_collaborator(dataset.id, "eve", "emperor")
    assert caught.value.fields == ["collaborator.role"]
