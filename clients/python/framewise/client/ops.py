"""Every call of the SDK described once, as data: which service and method, the request,
and how to turn the answer into SDK types. `AsyncClient` runs them (and `Client`, which
runs `AsyncClient`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf import field_mask_pb2
from google.protobuf.message import Message

from framewise.client import convert as cv
from framewise.client import types as t
from framewise.client.errors import invalid
from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as ds
from framewise.interpolation.v1 import interpolation_pb2 as ip
from framewise.labeling.v1 import labeling_pb2 as lb
from framewise.release.v1 import release_pb2 as rl

T = TypeVar("T")

GROUND_TRUTH = "ground-truth"


@dataclass(frozen=True)
class Unary(Generic[T]):
    service: str
    method: str
    request: Message
    convert: Callable[[Any], T]


@dataclass(frozen=True)
class Paged(Generic[T]):
    """A List method: pages followed by `page_token` until `next_page_token` is empty."""

    service: str
    method: str
    request: Message
    items: str
    convert: Callable[[Any], T]


@dataclass(frozen=True)
class Streamed(Generic[T]):
    """A server-streaming method; `convert` turns one message into zero or more items."""

    service: str
    method: str
    request: Message
    convert: Callable[[Any], Iterable[T]]


def _none(_: Any) -> None:
    return None


def _request_id(request_id: str | None) -> str:
    # Always send one: the channel retries UNAVAILABLE, and a retried create must not
    # create twice.
    return request_id or str(uuid.uuid4())


def _mask(paths: list[str], field: str) -> field_mask_pb2.FieldMask:
    if not paths:
        raise invalid(field, "nothing to update: pass at least one field")
    return field_mask_pb2.FieldMask(paths=paths)


# --- datasets ---


def create_dataset(name: str, task_type: str, *, description: str = "",
                   task_attributes: t.TaskAttributes | Mapping[str, Any] | None = None,
                   settings: t.DatasetSettings | None = None,
                   metadata: Mapping[str, Any] | None = None,
                   request_id: str | None = None) -> Unary[t.Dataset]:
    dataset = ds.Dataset(
        name=name, description=description,
        task_type=cv.enum_value(common_pb2.TaskType, task_type, "dataset.task_type"),
        metadata_json=cv.dump_json(metadata, "dataset.metadata_json"),
    )
    if task_attributes is not None:
        dataset.task_attributes.CopyFrom(cv.task_attributes_to_proto(task_attributes))
    if settings is not None:
        dataset.settings.CopyFrom(cv.settings_to_proto(settings))
    return Unary("dataset", "CreateDataset",
                 ds.CreateDatasetRequest(dataset=dataset, request_id=_request_id(request_id)),
                 cv.dataset_from_proto)


def get_dataset(dataset_id: str) -> Unary[t.Dataset]:
    return Unary("dataset", "GetDataset", ds.GetDatasetRequest(dataset_id=dataset_id),
                 cv.dataset_from_proto)


def list_datasets(*, owner: str = "", name_contains: str = "", task_type: str | None = None,
                  page_size: int = 0) -> Paged[t.Dataset]:
    request = ds.ListDatasetsRequest(
        owner=owner, name_contains=name_contains, page_size=page_size,
        task_type=cv.enum_value(common_pb2.TaskType, task_type, "task_type"))
    return Paged("dataset", "ListDatasets", request, "datasets", cv.dataset_from_proto)


def update_dataset(dataset_id: str, *, name: str | None = None,
                   description: str | None = None,
                   task_attributes: t.TaskAttributes | Mapping[str, Any] | None = None,
                   settings: t.DatasetSettings | None = None,
                   metadata: Mapping[str, Any] | None = None,
                   etag: str = "") -> Unary[t.Dataset]:
    dataset = ds.Dataset(id=dataset_id, etag=etag)
    paths: list[str] = []
    if name is not None:
        dataset.name = name
        paths.append("name")
    if description is not None:
        dataset.description = description
        paths.append("description")
    if task_attributes is not None:
        dataset.task_attributes.CopyFrom(cv.task_attributes_to_proto(task_attributes))
        paths.append("task_attributes")
    if settings is not None:
        dataset.settings.CopyFrom(cv.settings_to_proto(settings))
        paths.append("settings")
    if metadata is not None:
        dataset.metadata_json = cv.dump_json(metadata, "dataset.metadata_json")
        paths.append("metadata_json")
    request = ds.UpdateDatasetRequest(dataset=dataset, update_mask=_mask(paths, "update_mask"))
    return Unary("dataset", "UpdateDataset", request, cv.dataset_from_proto)


def delete_dataset(dataset_id: str, etag: str = "") -> Unary[None]:
    return Unary("dataset", "DeleteDataset",
                 ds.DeleteDatasetRequest(dataset_id=dataset_id, etag=etag), _none)


# --- samples ---


def create_sample(dataset_id: str, sample: t.NewSample | Mapping[str, Any],
                  request_id: str | None = None) -> Unary[t.Sample]:
    request = ds.CreateSampleRequest(sample=cv.new_sample_to_proto(sample, dataset_id),
                                     request_id=_request_id(request_id))
    return Unary("dataset", "CreateSample", request, cv.sample_from_proto)


def batch_create_samples(dataset_id: str, samples: Sequence[t.NewSample | Mapping[str, Any]],
                         request_id: str | None = None, offset: int = 0
                         ) -> Unary[list[t.Sample]]:
    request = ds.BatchCreateSamplesRequest(
        dataset_id=dataset_id, request_id=_request_id(request_id),
        samples=[cv.new_sample_to_proto(s, "", f"samples[{offset + i}]")
                 for i, s in enumerate(samples)])
    return Unary("dataset", "BatchCreateSamples", request,
                 lambda m: [cv.sample_from_proto(s) for s in m.samples])


def get_sample(sample_id: str) -> Unary[t.Sample]:
    return Unary("dataset", "GetSample", ds.GetSampleRequest(sample_id=sample_id),
                 cv.sample_from_proto)


def list_samples(dataset_id: str, *, name_contains: str = "",
                 metadata_filter: Mapping[str, Any] | None = None, order_by: str = "",
                 as_of_revision: int = 0, assigned_labeler: str = "",
                 page_size: int = 0) -> Paged[t.Sample]:
    request = ds.ListSamplesRequest(
        dataset_id=dataset_id, name_contains=name_contains, order_by=order_by,
        metadata_filter_json=cv.dump_json(metadata_filter, "metadata_filter_json"),
        as_of_revision=as_of_revision, assigned_labeler=assigned_labeler,
        page_size=page_size)
    return Paged("dataset", "ListSamples", request, "samples", cv.sample_from_proto)


def update_sample(sample_id: str, *, name: str | None = None,
                  attributes: Mapping[str, Any] | None = None,
                  metadata: Mapping[str, Any] | None = None, priority: int | None = None,
                  assigned_labeler: str | None = None, assigned_reviewer: str | None = None,
                  etag: str = "") -> Unary[t.Sample]:
    sample = ds.Sample(id=sample_id, etag=etag)
    paths: list[str] = []
    for path, value in (("name", name), ("priority", priority),
                        ("assigned_labeler", assigned_labeler),
                        ("assigned_reviewer", assigned_reviewer)):
        if value is not None:
            setattr(sample, path, value)
            paths.append(path)
    if attributes is not None:
        sample.attributes_json = cv.dump_json(attributes, "sample.attributes_json")
        paths.append("attributes_json")
    if metadata is not None:
        sample.metadata_json = cv.dump_json(metadata, "sample.metadata_json")
        paths.append("metadata_json")
    request = ds.UpdateSampleRequest(sample=sample, update_mask=_mask(paths, "update_mask"))
    return Unary("dataset", "UpdateSample", request, cv.sample_from_proto)


def delete_sample(sample_id: str, etag: str = "") -> Unary[None]:
    return Unary("dataset", "DeleteSample",
                 ds.DeleteSampleRequest(sample_id=sample_id, etag=etag), _none)


def get_sample_frames(sample_id: str, sensor: str = "",
                      as_of_revision: int = 0) -> Unary[list[t.Frame]]:
    request = ds.GetSampleFramesRequest(sample_id=sample_id, sensor=sensor,
                                        as_of_revision=as_of_revision)
    return Unary("dataset", "GetSampleFrames", request,
                 lambda m: [cv.frame_from_proto(f) for f in m.frames])


# --- label sets and collaborators ---


def create_label_set(dataset_id: str, name: str, description: str = "",
                     request_id: str | None = None) -> Unary[t.LabelSet]:
    request = ds.CreateLabelSetRequest(
        label_set=ds.LabelSet(dataset_id=dataset_id, name=name, description=description),
        request_id=_request_id(request_id))
    return Unary("dataset", "CreateLabelSet", request, cv.label_set_from_proto)


def get_label_set(dataset_id: str, name: str) -> Unary[t.LabelSet]:
    return Unary("dataset", "GetLabelSet", ds.GetLabelSetRequest(dataset_id=dataset_id, name=name),
                 cv.label_set_from_proto)


def list_label_sets(dataset_id: str) -> Paged[t.LabelSet]:
    return Paged("dataset", "ListLabelSets", ds.ListLabelSetsRequest(dataset_id=dataset_id),
                 "label_sets", cv.label_set_from_proto)


def delete_label_set(dataset_id: str, name: str) -> Unary[None]:
    return Unary("dataset", "DeleteLabelSet",
                 ds.DeleteLabelSetRequest(dataset_id=dataset_id, name=name), _none)


def add_collaborator(dataset_id: str, user: str, role: str) -> Unary[t.Collaborator]:
    collaborator = ds.Collaborator(dataset_id=dataset_id, user=user,
                                   role=cv.enum_value(ds.Role, role, "collaborator.role"))
    return Unary("dataset", "AddCollaborator",
                 ds.AddCollaboratorRequest(collaborator=collaborator),
                 cv.collaborator_from_proto)


def list_collaborators(dataset_id: str) -> Paged[t.Collaborator]:
    return Paged("dataset", "ListCollaborators",
                 ds.ListCollaboratorsRequest(dataset_id=dataset_id), "collaborators",
                 cv.collaborator_from_proto)


def update_collaborator(dataset_id: str, user: str, role: str) -> Unary[t.Collaborator]:
    collaborator = ds.Collaborator(dataset_id=dataset_id, user=user,
                                   role=cv.enum_value(ds.Role, role, "collaborator.role"))
    request = ds.UpdateCollaboratorRequest(collaborator=collaborator,
                                           update_mask=field_mask_pb2.FieldMask(paths=["role"]))
    return Unary("dataset", "UpdateCollaborator", request, cv.collaborator_from_proto)


def remove_collaborator(dataset_id: str, user: str) -> Unary[None]:
    return Unary("dataset", "RemoveCollaborator",
                 ds.RemoveCollaboratorRequest(dataset_id=dataset_id, user=user), _none)


# --- labels ---


def get_label(sample_id: str, label_set: str = GROUND_TRUTH,
              revision: int = 0) -> Unary[t.Label]:
    return Unary("labeling", "GetLabel",
                 lb.GetLabelRequest(sample_id=sample_id, label_set=label_set, revision=revision),
                 cv.label_from_proto)


def save_label(sample_id: str, attributes: Mapping[str, Any], *,
               label_set: str = GROUND_TRUTH, status: str | None = None,
               score: float | None = None, etag: str = "") -> Unary[t.Label]:
    label = lb.Label(
        sample_id=sample_id, label_set=label_set, etag=etag,
        attributes_json=cv.dump_json(attributes, "label.attributes_json"),
        status=cv.enum_value(common_pb2.LabelStatus, status, "label.status"))
    if score is not None:
        label.score = score
    return Unary("labeling", "SaveLabel", lb.SaveLabelRequest(label=label), cv.label_from_proto)


def delete_label(sample_id: str, label_set: str = GROUND_TRUTH, etag: str = "") -> Unary[int]:
    return Unary("labeling", "DeleteLabel",
                 lb.DeleteLabelRequest(sample_id=sample_id, label_set=label_set, etag=etag),
                 lambda m: m.revision)


def list_labels(dataset_id: str, label_set: str = GROUND_TRUTH, status: str | None = None,
                page_size: int = 0) -> Paged[t.Label]:
    request = lb.ListLabelsRequest(
        dataset_id=dataset_id, label_set=label_set, page_size=page_size,
        status=cv.enum_value(common_pb2.LabelStatus, status, "status"))
    return Paged("labeling", "ListLabels", request, "labels", cv.label_from_proto)


def list_label_revisions(sample_id: str, label_set: str = GROUND_TRUTH) -> Paged[t.Label]:
    return Paged("labeling", "ListLabelRevisions",
                 lb.ListLabelRevisionsRequest(sample_id=sample_id, label_set=label_set),
                 "revisions", cv.label_from_proto)


def allocate_track_ids(sample_id: str, count: int = 1,
                       label_set: str = GROUND_TRUTH) -> Unary[list[int]]:
    return Unary("labeling", "AllocateTrackIds",
                 lb.AllocateTrackIdsRequest(sample_id=sample_id, label_set=label_set,
                                            count=count),
                 lambda m: list(m.track_ids))


# --- releases ---


def create_release(dataset_id: str, name: str, description: str = "",
                   request_id: str | None = None) -> Unary[t.Release]:
    request = rl.CreateReleaseRequest(
        release=rl.Release(dataset_id=dataset_id, name=name, description=description),
        request_id=_request_id(request_id))
    return Unary("release", "CreateRelease", request, cv.release_from_proto)


def get_release(release_id: str) -> Unary[t.Release]:
    return Unary("release", "GetRelease", rl.GetReleaseRequest(release_id=release_id),
                 cv.release_from_proto)


def list_releases(dataset_id: str) -> Paged[t.Release]:
    return Paged("release", "ListReleases", rl.ListReleasesRequest(dataset_id=dataset_id),
                 "releases", cv.release_from_proto)


def delete_release(release_id: str) -> Unary[None]:
    return Unary("release", "DeleteRelease", rl.DeleteReleaseRequest(release_id=release_id),
                 _none)


def download_release(release_id: str, offset: int = 0,
                     chunk_size: int = 0) -> Streamed[rl.DownloadReleaseResponse]:
    request = rl.DownloadReleaseRequest(release_id=release_id, offset=offset,
                                        chunk_size=chunk_size)
    return Streamed("release", "DownloadRelease", request, lambda m: (m,))


def export_release(release_id: str, export_format: str = "release-json",
                   label_set: str = GROUND_TRUTH) -> Streamed[rl.ExportReleaseResponse]:
    request = rl.ExportReleaseRequest(
        release_id=release_id, label_set=label_set,
        format=cv.enum_value(rl.ExportFormat, export_format, "format"))
    return Streamed("release", "ExportRelease", request, lambda m: (m,))


# --- interpolation ---


def _stored(sample_id: str, label_set: str, revision: int, sensor: str) -> ip.StoredLabel:
    return ip.StoredLabel(sample_id=sample_id, label_set=label_set, revision=revision,
                          sensor=sensor)


def _inline(tracks: Sequence[t.Track], frame_count: int, timestamps: Sequence[float] | None,
            mode: str | None, extrapolate_cuboid_position: bool) -> ip.InlineTracks:
    return ip.InlineTracks(
        tracks=[cv.track_to_proto(tr, f"inline.tracks[{i}]") for i, tr in enumerate(tracks)],
        frame_count=frame_count, timestamps=list(timestamps or ()),
        options=ip.InterpolationOptions(
            mode=cv.enum_value(common_pb2.InterpolationMode, mode, "inline.options.mode"),
            extrapolate_cuboid_position=extrapolate_cuboid_position))


def stream_frame_states(*, sample_id: str = "", label_set: str = GROUND_TRUTH,
                        revision: int = 0, sensor: str = "",
                        tracks: Sequence[t.Track] | None = None, frame_count: int = 0,
                        timestamps: Sequence[float] | None = None, mode: str | None = None,
                        extrapolate_cuboid_position: bool = False,
                        start_frame: int = 0, end_frame: int = 0,
                        track_ids: Sequence[int] = (),
                        frames_per_message: int = 0) -> Streamed[t.FrameState]:
    request = ip.StreamFrameStatesRequest(start_frame=start_frame, end_frame=end_frame,
                                          track_ids=list(track_ids),
                                          frames_per_message=frames_per_message)
    if tracks is not None:
        request.inline.CopyFrom(_inline(tracks, frame_count, timestamps, mode,
                                        extrapolate_cuboid_position))
    elif sample_id:
        request.stored_label.CopyFrom(_stored(sample_id, label_set, revision, sensor))
    else:
        raise invalid("source", "pass a sample_id (a stored label) or inline tracks")
    return Streamed("interpolation", "StreamFrameStates", request,
                    lambda m: cv.frame_states_from_proto(m, m.frames))


def get_frame_state(frame: int, *, sample_id: str = "", label_set: str = GROUND_TRUTH,
                    revision: int = 0, tracks: Sequence[t.Track] | None = None,
                    frame_count: int = 0) -> Unary[t.FrameState]:
    request = ip.GetFrameStateRequest(frame=frame)
    if tracks is not None:
        request.inline.CopyFrom(_inline(tracks, frame_count, None, None, False))
    else:
        request.stored_label.CopyFrom(_stored(sample_id, label_set, revision, ""))
    return Unary("interpolation", "GetFrameState", request,
                 lambda m: cv.frame_states_from_proto(m, [m.frame_state])[0])
