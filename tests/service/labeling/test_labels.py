"""Labels over gRPC: save, get, etags, revisions, delete, list, stream, status fields."""

from __future__ import annotations

import json

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.labeling.v1 import labeling_pb2 as pb
from tests.service.labeling.helpers import (
    Stack,
    as_user,
    bbox,
    count_of,
    counter_label,
    vector_label,
)
from tests.support.errors import error_reason, expect_error


async def test_save_get_and_health(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    saved = await stack.save(sample.id, vector_label())
    assert saved.revision > 0 and saved.etag and saved.dataset_id == dataset.id
    assert saved.status == common_pb2.LABEL_STATUS_LABELED
    got = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
    assert json.loads(got.attributes_json)["annotations"][0]["type"] == "bbox"
    assert got.created_by == "alice" and got.label_set == "ground-truth"
    assert got.etag == saved.etag and got.create_time.seconds > 0


async def test_stale_etag_is_aborted_and_changes_nothing(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    first = await stack.save(sample.id, counter_label(1))
    second = await stack.save(sample.id, counter_label(2), etag=first.etag)
    error = await expect_error(stack.save(sample.id, counter_label(3), etag=first.etag),
                               grpc.StatusCode.ABORTED)
    assert error_reason(error) == "STALE_ETAG"
    now = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
    assert count_of(now) == 2 and now.revision == second.revision
    # No etag: a deliberate overwrite.
    overwritten = await stack.save(sample.id, counter_label(4))
    assert overwritten.revision > second.revision
    # An etag on a label that was deleted is stale too.
    await stack.labeling.DeleteLabel(pb.DeleteLabelRequest(sample_id=sample.id))
    await expect_error(stack.save(sample.id, counter_label(5), etag=overwritten.etag),
                       grpc.StatusCode.ABORTED)


async def test_revisions_history_and_reading_the_past(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    revisions = [(await stack.save(sample.id, counter_label(i))).revision for i in range(3)]
    assert revisions == sorted(revisions) and len(set(revisions)) == 3
    deleted = await stack.labeling.DeleteLabel(pb.DeleteLabelRequest(sample_id=sample.id))
    assert deleted.revision > revisions[-1]
    await expect_error(stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id)),
                       grpc.StatusCode.NOT_FOUND)
    old = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id,
                                                           revision=revisions[1]))
    assert count_of(old) == 1 and old.revision == revisions[1]
    listed = await stack.labeling.ListLabelRevisions(
        pb.ListLabelRevisionsRequest(sample_id=sample.id, page_size=2))
    assert [r.revision for r in listed.revisions] == [deleted.revision, revisions[2]]
    assert listed.revisions[0].deleted and listed.next_page_token
    rest = await stack.labeling.ListLabelRevisions(pb.ListLabelRevisionsRequest(
        sample_id=sample.id, page_size=2, page_token=listed.next_page_token))
    assert [r.revision for r in rest.revisions] == revisions[1::-1] and not rest.next_page_token
    await expect_error(stack.labeling.DeleteLabel(pb.DeleteLabelRequest(sample_id=sample.id)),
                       grpc.StatusCode.NOT_FOUND)
    # Saved again after the deletion: a new label, created anew.
    again = await stack.save(sample.id, counter_label(9), user="bob")
    assert again.created_by == "bob"


async def test_delete_with_stale_etag(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    first = await stack.save(sample.id, counter_label(1))
    await stack.save(sample.id, counter_label(2))
    await expect_error(stack.labeling.DeleteLabel(
        pb.DeleteLabelRequest(sample_id=sample.id, etag=first.etag)), grpc.StatusCode.ABORTED)
    assert count_of(await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))) == 2


async def test_status_score_and_review_fields(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    prelabel = await stack.save(sample.id, vector_label(), user="model",
                                status=common_pb2.LABEL_STATUS_PRELABELED, score=0.75)
    assert prelabel.status == common_pb2.LABEL_STATUS_PRELABELED and prelabel.score == 0.75
    edited = await stack.save(sample.id, vector_label(), user="alice")
    assert edited.status == common_pb2.LABEL_STATUS_PRELABELED  # unspecified keeps it
    assert not edited.HasField("score") and edited.created_by == "model"
    assert edited.updated_by == "alice" and not edited.reviewed_by
    reviewed = await stack.save(sample.id, vector_label(), user="rita",
                                status=common_pb2.LABEL_STATUS_REVIEWED)
    assert reviewed.reviewed_by == "rita" and reviewed.review_time.seconds > 0
    later = await stack.save(sample.id, vector_label(), user="alice",
                             status=common_pb2.LABEL_STATUS_LABELED)
    assert later.reviewed_by == "rita"


async def test_list_labels_pages_and_filters(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    samples = await stack.create_samples(dataset, 5)
    for i, sample in enumerate(samples):
        status = common_pb2.LABEL_STATUS_LABELED if i % 2 else common_pb2.LABEL_STATUS_SKIPPED
        await stack.save(sample.id, vector_label(), status=status)
    seen: list[str] = []
    token = ""
    while True:
        page = await stack.labeling.ListLabels(pb.ListLabelsRequest(
            dataset_id=dataset.id, page_size=2, page_token=token))
        seen += [x.sample_id for x in page.labels]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(s.id for s in samples)
    skipped = await stack.labeling.ListLabels(pb.ListLabelsRequest(
        dataset_id=dataset.id, status=common_pb2.LABEL_STATUS_SKIPPED))
    assert len(skipped.labels) == 3


async def test_stream_labels_as_of_a_revision(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    samples = await stack.create_samples(dataset, 7)
    for sample in samples:
        last = await stack.save(sample.id, counter_label(1))
    as_of = last.revision
    # Changes after the revision are not in a stream as of it.
    await stack.save(samples[0].id, counter_label(2))
    await stack.labeling.DeleteLabel(pb.DeleteLabelRequest(sample_id=samples[1].id))
    pages = [p async for p in stack.labeling.StreamLabels(pb.StreamLabelsRequest(
        dataset_id=dataset.id, as_of_revision=as_of, page_size=3))]
    assert [len(p.labels) for p in pages] == [3, 3, 1]
    assert all(p.revision == as_of for p in pages)
    labels = [x for p in pages for x in p.labels]
    assert [x.sample_id for x in labels] == sorted(s.id for s in samples)
    assert all(count_of(x) == 1 for x in labels)
    now = [x async for p in stack.labeling.StreamLabels(
        pb.StreamLabelsRequest(dataset_id=dataset.id)) for x in p.labels]
    assert len(now) == 6


async def test_label_sets_are_separate(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    await stack.dataset.CreateLabelSet(dpb.CreateLabelSetRequest(
        label_set=dpb.LabelSet(dataset_id=dataset.id, name="model-v1")))
    await stack.save(sample.id, counter_label(1))
    await stack.save(sample.id, counter_label(7), label_set="model-v1", score=0.5)
    truth = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id))
    predicted = await stack.labeling.GetLabel(pb.GetLabelRequest(sample_id=sample.id,
                                                                 label_set="model-v1"))
    assert count_of(truth) == 1 and count_of(predicted) == 7
    await expect_error(stack.save(sample.id, counter_label(1), label_set="nope"),
                       grpc.StatusCode.NOT_FOUND)


async def test_deleted_sample_or_dataset_is_not_found(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    samples = await stack.create_samples(dataset, 2)
    await stack.dataset.DeleteSample(dpb.DeleteSampleRequest(sample_id=samples[0].id))
    await expect_error(stack.save(samples[0].id, vector_label()), grpc.StatusCode.NOT_FOUND)
    await stack.dataset.DeleteDataset(dpb.DeleteDatasetRequest(dataset_id=dataset.id))
    await expect_error(stack.labeling.ListLabels(pb.ListLabelsRequest(dataset_id=dataset.id)),
                       grpc.StatusCode.NOT_FOUND)


async def test_identity_comes_from_metadata(stack: Stack) -> None:
    dataset = await stack.create_dataset()
    (sample,) = await stack.create_samples(dataset)
    label = pb.Label(sample_id=sample.id, attributes_json=json.dumps(vector_label(bbox())))
    saved = await stack.labeling.SaveLabel(pb.SaveLabelRequest(label=label),
                                           metadata=as_user("zoe"))
    assert saved.created_by == "zoe" and saved.updated_by == "zoe"
