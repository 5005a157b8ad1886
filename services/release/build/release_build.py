"""Building one release: labels staged by sample id, then samples page by page into the
release file, sequence labels streamed frame by frame from the interpolation service.

Everything read is pinned to the revisions recorded when the release was accepted, so a
build (or a rebuild after a crash) writes the same file whatever happens meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.release.build.frame_pool import FramePool
from services.release.build.prefetch import in_order
from services.release.build.staging_db import StagedLabel, Staging, scratch_space
from services.release.domain import release_file as rf
from services.release.domain.keyframes import track_level_names
from services.release.domain.models import Release, Snapshot
from services.release.peers.clients import Peers
from services.release.storage.blobs import BlobStore
from shared.labels.sequences import frame_extras, keyframe_tracks
from shared.task_types import LabelKind, SampleKind, TaskType, spec

log = logging.getLogger(__name__)

# Label kinds whose sequences store keyframes only: written out through interpolation.
PAGE = 1000  # samples joined with their labels at a time
# Left-out labels listed by name in the release file; beyond, only counted.
MAX_SKIPPED_LISTED = 1000
INTERPOLATED = frozenset({LabelKind.IMAGE_VECTOR, LabelKind.CUBOID, LabelKind.POINTCLOUD_VECTOR})


@dataclass(frozen=True)
class BuildResult:
    sample_count: int
    size: int
    sha256: str


def snapshot_of(release: Release) -> Snapshot:
    return Snapshot(dataset=release.snapshot, dataset_revision=release.dataset_revision,
                    label_revision=release.label_revision)


def _interpolated(task_type: TaskType) -> bool:
    task = spec(task_type)
    return task.is_sequence and task.label_kind in INTERPOLATED


def _dims(task_type: TaskType) -> int:
    return 3 if spec(task_type).sample_kind in (SampleKind.POINTCLOUD,
                                                 SampleKind.POINTCLOUD_SEQUENCE) else 2


class ReleaseBuild:
    def __init__(self, release: Release, peers: Peers, blobs: BlobStore,
                 work_dir: Path | None = None, frames: FramePool | None = None) -> None:
        self.release = release
        self.snapshot = snapshot_of(release)
        self.peers = peers
        self.blobs = blobs
        self.work_dir = work_dir
        self.user = release.created_by
        self.task_type = TaskType(self.snapshot.task_type)
        self.streamed = _interpolated(self.task_type)
        self.dims = _dims(self.task_type)
        self.track_level = track_level_names(self.snapshot.dataset)
        self.frames = frames or FramePool(0)
        # Labels left out (unreadable as stored): listed in the release file's header.
        self.skipped: list[dict[str, Any]] = []
        self.skipped_count = 0

    async def run(self) -> BuildResult:
        with scratch_space(self.work_dir) as scratch:
            staging = Staging(scratch / "staging.db")
            try:
                # Samples and every label set are read at once, as a plain read would.
                await asyncio.gather(self._stage_samples(staging),
                                     *(self._stage(staging, name)
                                       for name in self.snapshot.label_sets))
                count, info = await self._write_release(staging)
                with self.blobs.writer(self.release.manifest_key) as manifest:
                    for line in staging.manifest_lines():
                        manifest.write(line.encode())
            finally:
                staging.close()
        return BuildResult(count, info[0], info[1])

    async def _stage(self, staging: Staging, label_set: str) -> None:
        async for page in self.peers.labeling.labels(self.release.dataset_id, label_set,
                                                      self.snapshot.label_revision,
                                                      self.user):
            usable = []
            for label in page:
                if label.attributes_problem:
                    # Served degraded: not what was saved, so not released as if it were.
                    self._skip(label.sample_id, label_set, label.revision,
                               label.attributes_problem)
                else:
                    usable.append(label)
            staging.add_labels(label_set, [
                (label.sample_id, label.head, label.attributes_json, label.digest)
                for label in usable])

    def _skip(self, sample_id: str, label_set: str, revision: int, reason: str) -> None:
        """Leaves one label out of the release (written as null) and records why."""
        log.warning("release %s: label %s/%s@%d left out: %s", self.release.id, sample_id,
                    label_set, revision, reason)
        self.skipped.append({"sample_uuid": sample_id, "label_set": label_set,
                             "revision": revision, "reason": reason})
        self.skipped_count += 1
        if len(self.skipped) > 2 * MAX_SKIPPED_LISTED:
            self.skipped = _first_skipped(self.skipped)

    async def _stage_samples(self, staging: Staging) -> None:
        async for page in self.peers.dataset.samples(self.release.dataset_id,
                                                     self.snapshot.dataset_revision, self.user):
            staging.add_samples([(s.id, s.name, s.head) for s in page])

    def _header(self) -> str:
        release = self.release
        created = release.create_time.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return rf.header({
            "id": release.id, "name": release.name, "description": release.description,
            "created_at": created, "created_by": release.created_by,
            "dataset_revision": release.dataset_revision,
            "label_revision": release.label_revision, "format_version": "1.0",
            **self._skipped_fields(),
        }, self.snapshot.dataset)

    def _skipped_fields(self) -> dict[str, Any]:
        if not self.skipped_count:  # a release of readable labels is as it always was
            return {}
        return {"skipped_label_count": self.skipped_count,
                "skipped_labels": _first_skipped(self.skipped)}

    async def _write_release(self, staging: Staging) -> tuple[int, tuple[int, str]]:
        count = 0
        with self.blobs.writer(self.release.blob_key) as out:
            out.write(self._header().encode())
            for page in staging.sample_pages(PAGE):
                staged = staging.labels_of([sample_id for sample_id, _, _ in page])
                manifest: list[tuple[str, str, dict[str, str]]] = []
                samples: list[tuple[bool, str, str, dict[str, StagedLabel]]] = []
                for sample_id, sample_name, head in page:
                    labels = staged.get(sample_id, {})
                    manifest.append((sample_id, sample_name,
                                     {k: v.digest for k, v in labels.items()}))
                    samples.append((count == 0, sample_id, head, labels))
                    count += 1
                if self.streamed:
                    # The next samples' streams are read while this one is written.
                    async for chunk in in_order(self._streamed_sample(*sample)
                                                for sample in samples):
                        out.write(chunk)
                else:
                    out.write("".join(self._whole_sample(first, head, labels)
                                      for first, _, head, labels in samples).encode())
                staging.add_manifest(manifest)
            out.write(rf.FOOTER.encode())
        assert out.info is not None
        return count, (out.info.size, out.info.sha256)

    def _whole_sample(self, first: bool, head: str, labels: dict[str, StagedLabel]) -> str:
        return rf.whole_sample(first, head, [
            (name, rf.whole_label(labels[name].head, labels[name].attributes_json)
             if name in labels else None) for name in self.snapshot.label_sets])

    async def _streamed_sample(self, first: bool, sample_id: str, head: str,
                               labels: dict[str, StagedLabel]) -> AsyncGenerator[bytes, None]:
        """A sequence sample whose labels are written frame by frame as they arrive."""
        if not labels:
            yield self._whole_sample(first, head, labels).encode()
            return
        stamps = await self.peers.dataset.frame_timestamps(
            sample_id, self.snapshot.dataset_revision, self.user)
        yield rf.sample_open(first, head).encode()
        for i, name in enumerate(self.snapshot.label_sets):
            label = labels.get(name)
            if label is None:
                yield rf.label_entry(i == 0, name, None).encode()
                continue
            yield rf.frames_open(i == 0, name, label.head).encode()
            document = json.loads(label.attributes_json or "{}")
            stored = _stored_frames(document, stamps)
            messages = self.peers.interpolation.frame_states(
                keyframe_tracks(document, self.track_level), stamps, self.snapshot.dataset,
                self.dims, sample_id, name, self.user)
            del document  # only the per-frame extras are kept while frames stream
            async for lines in self.frames.format(messages, self.dims, stored):
                yield lines
            yield (rf.FRAMES_CLOSE + "\n").encode()
        yield (rf.SAMPLE_CLOSE + "\n").encode()


def _first_skipped(skipped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first MAX_SKIPPED_LISTED by sample and label set: a rebuild lists the same
    whatever order the label sets' streams arrived in."""
    return sorted(skipped, key=lambda x: (x["sample_uuid"], x["label_set"]))[
        :MAX_SKIPPED_LISTED]


def _stored_frames(document: dict[str, Any],
                   stamps: list[float | None]) -> list[dict[str, Any] | None]:
    """Per frame, what the written frame keeps besides annotations: the timestamp (the
    sample frame's, else the label frame's) and the label frame's image attributes."""
    extras = frame_extras(document)
    kept: list[dict[str, Any] | None] = []
    for i in range(max(len(extras), len(stamps))):
        extra = extras[i] if i < len(extras) else {}
        if i < len(stamps) and stamps[i] is not None:
            extra["timestamp"] = stamps[i]
        kept.append(extra or None)
    return kept


def now() -> datetime:
    return datetime.now(UTC)
