"""The labeling service's own messages to labeling domain types and back (the dataset
service's messages are converted by its client, peers/dataset.py)."""

from __future__ import annotations

import logging
import math

from framewise.common.v1 import common_pb2
from framewise.labeling.v1 import labeling_pb2 as pb
from services.labeling.domain import documents
from services.labeling.domain.models import (
    DEFAULT_LABEL_SET,
    Assignment,
    Label,
    LabelDraft,
    LabelStatus,
)
from shared import jsondoc
from shared.errors import InvalidArgument
from shared.proto_enums import from_proto, to_proto
from shared.proto_time import timestamp

log = logging.getLogger(__name__)


def label_set_name(value: str) -> str:
    return value or DEFAULT_LABEL_SET


def status_from_proto(value: int, field: str) -> LabelStatus:
    return from_proto(common_pb2.LabelStatus, value, LabelStatus, field)


def draft_from_proto(message: pb.Label) -> LabelDraft:
    score = message.score if message.HasField("score") else None
    if score is not None and not math.isfinite(score):
        raise InvalidArgument.of("label.score", "must be a finite number")
    return LabelDraft(
        sample_id=message.sample_id,
        label_set=label_set_name(message.label_set),
        attributes=jsondoc.parse_object(message.attributes_json, "label.attributes_json"),
        status=status_from_proto(message.status, "label.status") if message.status else None,
        score=score,
        etag=message.etag,
    )


def _attributes(label: Label) -> documents.Rendered:
    if label.deleted:
        return documents.Rendered("")
    if label.attributes_problem:  # not even parsed: nothing of it can be served
        return documents.Rendered("{}", label.attributes_problem)
    if label.attributes_json is not None:  # a save's own text, checked before its commit
        return documents.Rendered(label.attributes_json)
    return documents.render_stored(label.attributes)


def label_to_proto(label: Label) -> pb.Label:
    """Never fails on what is stored: a document without an exact JSON form is served
    degraded, with `attributes_problem` saying so (domain.documents)."""
    attributes = _attributes(label)
    if attributes.problem:
        log.warning("label %s/%s@%d served degraded: %s", label.sample_id, label.label_set,
                    label.revision, attributes.problem)
    message = pb.Label(
        sample_id=label.sample_id,
        label_set=label.label_set,
        dataset_id=label.dataset_id,
        attributes_json=attributes.text,
        attributes_problem=attributes.problem,
        status=to_proto(common_pb2.LabelStatus, label.status),
        created_by=label.created_by,
        create_time=timestamp(label.create_time),
        updated_by=label.updated_by,
        update_time=timestamp(label.update_time),
        reviewed_by=label.reviewed_by,
        review_time=timestamp(label.review_time),
        etag=label.etag,
        revision=label.revision,
        deleted=label.deleted,
    )
    if label.score is not None:
        message.score = label.score
    return message


def assignment_to_proto(assignment: Assignment) -> pb.Assignment:
    return pb.Assignment(sample_id=assignment.sample_id, labeler=assignment.labeler,
                         assign_time=timestamp(assignment.assign_time),
                         label_set=assignment.label_set)
