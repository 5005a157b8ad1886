"""The SDK on labels (etags handled), sequences with keyframes, and interpolation."""

from __future__ import annotations

import pytest

from framewise.client import (
    Client,
    Conflict,
    InvalidArgument,
    Keyframe,
    Label,
    NewSample,
    NotFound,
    Track,
)
from tests.sdk.conftest import BOX_CATEGORIES, bbox, frames, sequence_label, unique


@pytest.fixture
def sequence(client: Client) -> str:
    dataset = client.add_dataset(unique("seq"), "image-vector-sequence",
                                 task_attributes=BOX_CATEGORIES)
    return client.add_sample(dataset.id, NewSample("drive", {"frames": frames(10)})).id


def test_add_get_update_delete_with_etags(client: Client, sequence: str) -> None:
    first = client.add_label(sequence, sequence_label(10, {0: [bbox(1, 0.0)]}))
    assert (first.status, first.label_set, first.updated_by) == ("labeled", "ground-truth",
                                                                 "local")
    assert client.get_label(sequence).etag == first.etag

    # update_label reads the etag itself; None keeps the annotations.
    reviewed = client.update_label(sequence, status="reviewed")
    assert reviewed.status == "reviewed" and reviewed.attributes == first.attributes
    assert reviewed.reviewed_by == "local"

    # An explicit stale etag is a Conflict at once, and changes nothing.
    with pytest.raises(Conflict) as stale:
        client.update_label(sequence, sequence_label(10, {}), etag=first.etag, retries=5)
    assert stale.value.reason == "STALE_ETAG" and stale.value.code == "ABORTED"
    assert client.get_label(sequence).revision == reviewed.revision

    revision = client.delete_label(sequence, etag=reviewed.etag)
    assert revision > reviewed.revision
    with pytest.raises(NotFound):
        client.get_label(sequence)
    history = list(client.list_label_revisions(sequence))
    assert history[0].deleted and len(history) == 3


def test_update_label_retries_over_a_concurrent_writer(client: Client, sequence: str) -> None:
    client.add_label(sequence, sequence_label(10, {0: [bbox(1, 0.0)]}))
    seen: list[int] = []

    def add_a_track(current: Label | None) -> dict[str, object]:
        assert current is not None
        seen.append(current.revision)
        if len(seen) == 1:  # someone else saves between our read and our write
            client.add_label(sequence, sequence_label(10, {0: [bbox(1, 5.0)]}))
        attributes = current.attributes
        attributes["frames"][3]["annotations"].append(bbox(2, 50.0))
        return attributes

    with pytest.raises(Conflict):
        client.update_label(sequence, add_a_track)
    seen.clear()
    saved = client.update_label(sequence, add_a_track, retries=2)
    assert len(seen) == 2 and seen[1] > seen[0]
    # The retry applied the change on top of the other writer's state: nothing is lost.
    assert saved.attributes["frames"][0]["annotations"][0]["points"] == [[5.0, 0.0],
                                                                         [15.0, 10.0]]
    assert saved.attributes["frames"][3]["annotations"][0]["track_id"] == 2


def test_bad_label_names_the_json_path(client: Client, sequence: str) -> None:
    bad = sequence_label(10, {2: [{**bbox(1, 0.0), "category_id": 99}]})
    with pytest.raises(InvalidArgument) as caught:
        client.add_label(sequence, bad)
    assert caught.value.fields == ["label.attributes_json.frames[2].annotations[0].category_id"]


def test_interpolate_a_stored_sequence_label_as_it_streams(client: Client,
                                                           sequence: str) -> None:
    removed = {"track_id": 1, "category_id": 1, "type": "bbox", "is_keyframe": True,
               "removed": True}
    client.add_label(sequence, sequence_label(10, {0: [bbox(1, 0.0)], 4: [bbox(1, 40.0)],
                                                   8: [removed]}))
    states = list(client.iter_frames(sequence, frames_per_message=3))
    assert [s.frame for s in states] == list(range(10))
    assert states[0].frame_count == 10
    assert states[0].timestamp == pytest.approx(0.0)
    box = {s.frame: s.objects[0] for s in states if s.objects}
    assert sorted(box) == list(range(8))  # absent from the remove-keyframe on
    assert box[0].is_keyframe and box[4].is_keyframe and not box[2].is_keyframe
    assert box[2].coordinates == pytest.approx([20.0, 0.0, 30.0, 10.0])
    assert box[6].coordinates == pytest.approx([40.0, 0.0, 50.0, 10.0])  # held
    window = list(client.iter_frames(sequence, start_frame=2, end_frame=4))
    assert [s.frame for s in window] == [2, 3]
    assert client.get_frame(sequence, 1).objects[0].coordinates == pytest.approx(
        [10.0, 0.0, 20.0, 10.0])


def test_interpolate_inline_keyframes(client: Client) -> None:
    track = Track(track_id=7, category_id=1, geometry_type="bbox", keyframes=[
        Keyframe(0, [0.0, 0.0, 10.0, 10.0], attributes={"occluded": False}),
        Keyframe(10, [100.0, 0.0, 110.0, 10.0], attributes={"occluded": True})])
    states = list(client.iter_frames_inline([track], 11))
    assert states[5].objects[0].coordinates == pytest.approx([50.0, 0.0, 60.0, 10.0])
    assert states[5].objects[0].attributes == {"occluded": False}
    assert states[10].objects[0].is_keyframe
    with pytest.raises(InvalidArgument) as caught:
        list(client.iter_frames_inline([track], 5))
    assert caught.value.fields and all(f.startswith("inline.") for f in caught.value.fields)


def test_interpolating_a_missing_label_is_not_found(client: Client, sequence: str) -> None:
    with pytest.raises(NotFound):
        list(client.iter_frames(sequence))
