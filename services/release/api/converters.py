"""The release service's own messages to release domain types and back (the peers'
messages are converted by peers.convert)."""

from __future__ import annotations

from framewise.release.v1 import release_pb2 as pb
from services.release.domain.diff import Change, ChangeKind, Summary
from services.release.domain.exports import ExportFormat
from services.release.domain.models import Release, ReleaseDraft, ReleaseStatus
from shared.errors import InvalidArgument
from shared.proto_time import timestamp

STATUS_TO_PROTO = {
    ReleaseStatus.PENDING: pb.RELEASE_STATUS_PENDING,
    ReleaseStatus.SUCCEEDED: pb.RELEASE_STATUS_SUCCEEDED,
    ReleaseStatus.FAILED: pb.RELEASE_STATUS_FAILED,
}


def draft_from_proto(message: pb.Release) -> ReleaseDraft:
    return ReleaseDraft(dataset_id=message.dataset_id, name=message.name,
                        description=message.description)


def release_to_proto(release: Release) -> pb.Release:
    return pb.Release(
        id=release.id, dataset_id=release.dataset_id, name=release.name,
        description=release.description, status=STATUS_TO_PROTO[release.status],
        failure_reason=release.failure_reason, sample_count=release.sample_count,
        file_size_bytes=release.file_size_bytes, content_sha256=release.content_sha256,
        dataset_revision=release.dataset_revision, label_revision=release.label_revision,
        created_by=release.created_by, create_time=timestamp(release.create_time),
        complete_time=timestamp(release.complete_time),
    )


# Exports and diffs

FORMATS = {
    pb.EXPORT_FORMAT_RELEASE_JSON: ExportFormat.RELEASE_JSON,
    pb.EXPORT_FORMAT_COCO_INSTANCE: ExportFormat.COCO_INSTANCE,
    pb.EXPORT_FORMAT_YOLO: ExportFormat.YOLO,
}
CHANGE_KINDS = {
    ChangeKind.SAMPLE_ADDED: pb.CHANGE_KIND_SAMPLE_ADDED,
    ChangeKind.SAMPLE_REMOVED: pb.CHANGE_KIND_SAMPLE_REMOVED,
    ChangeKind.LABEL_ADDED: pb.CHANGE_KIND_LABEL_ADDED,
    ChangeKind.LABEL_REMOVED: pb.CHANGE_KIND_LABEL_REMOVED,
    ChangeKind.LABEL_CHANGED: pb.CHANGE_KIND_LABEL_CHANGED,
}


def export_format(value: int) -> tuple[ExportFormat, str]:
    if value not in FORMATS:
        raise InvalidArgument.of("format", "required: one of "
                                 + ", ".join(pb.ExportFormat.Name(v) for v in FORMATS))
    return FORMATS[value], pb.ExportFormat.Name(value)


def change_to_proto(change: Change) -> pb.SampleChange:
    return pb.SampleChange(sample_id=change.sample_id, sample_name=change.sample_name,
                           kind=CHANGE_KINDS[change.kind], label_set=change.label_set)


def summary_to_proto(summary: Summary) -> pb.DiffSummary:
    return pb.DiffSummary(
        samples_added=summary.samples_added, samples_removed=summary.samples_removed,
        label_sets=[pb.LabelSetDiffSummary(label_set=name, labels_added=c.added,
                                           labels_removed=c.removed, labels_changed=c.changed)
                    for name, c in summary.label_sets.items()])
