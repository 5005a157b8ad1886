"""The release service's use cases: domain rules over storage and peers, no gRPC.

Each method owns its transactions; builds run in the background (build.builder.Builder).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError

from services.release.build.builder import Builder
from services.release.build.release_build import now
from services.release.domain import diff as diffs
from services.release.domain import exports
from services.release.domain.inputs import dataset_header
from services.release.domain.models import (
    DEFAULT_LABEL_SET,
    Release,
    ReleaseDraft,
    ReleaseStatus,
    check_draft,
    manifest_blob_key,
)
from services.release.peers.clients import Peers
from services.release.storage.blobs import BlobStore
from services.release.storage.repository import ReleaseRepository
from shared.db import Database
from shared.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from shared.identity import current_caller
from shared.limits import MAX_CHUNK_BYTES, MIN_CHUNK_BYTES
from shared.paging import decode_token, encode_token, page_size
from shared.roles import Role, require
from shared.task_types import TaskType, spec

DEFAULT_CHUNK = 1024 * 1024
DEFAULT_URL_EXPIRY_S = 3600
MAX_URL_EXPIRY_S = 7 * 24 * 3600  # SigV4's limit
DIFF_BATCH = 500


def _require(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument.of(field, "required")
    return value


class ReleaseOperations:
    def __init__(self, db: Database, blobs: BlobStore, peers: Peers,
                 builder: Builder) -> None:
        self.db = db
        self.blobs = blobs
        self.peers = peers
        self.builder = builder

    # create
    async def create_release(self, caller: str, draft: ReleaseDraft, request_id: str) -> Release:
        check_draft(draft, request_id)
        key = f"CreateRelease/{caller}/{request_id}" if request_id else None
        async with self.db.read() as session:
            repo = ReleaseRepository(session)
            if key and (existing := await repo.by_request_key(key)):
                return existing
            if await repo.name_taken(draft.dataset_id, draft.name):
                raise self._name_taken(draft)
        release = await self._accept(caller, draft)
        try:
            async with self.db.write() as session:
                await ReleaseRepository(session).add(release, key, self.builder.owner,
                                                     now() + self.builder.lease)
        except IntegrityError as exc:
            # A concurrent create with the same request id, or the same name, won.
            async with self.db.read() as session:
                if key and (existing := await ReleaseRepository(session).by_request_key(key)):
                    return existing
            raise self._name_taken(draft) from exc
        release.attempts = 1
        self.builder.start(release)
        return release

    @staticmethod
    def _name_taken(draft: ReleaseDraft) -> AlreadyExists:
        return AlreadyExists(f"the dataset already has a release named {draft.name!r}",
                             metadata={"dataset_id": draft.dataset_id, "name": draft.name})

    async def _accept(self, caller: str, draft: ReleaseDraft) -> Release:
        """Pins what the release will hold: the dataset (header and revision), its label
        sets, and the labeling service's revision, all read now."""
        dataset = await self.peers.dataset.dataset(draft.dataset_id, caller)
        require(dataset.caller_role, Role.MANAGER, draft.dataset_id, "CreateRelease")
        label_sets = await self.peers.dataset.label_sets(draft.dataset_id, caller)
        first = label_sets[0].name if label_sets else DEFAULT_LABEL_SET
        label_revision = await self.peers.labeling.label_revision(draft.dataset_id, first,
                                                                  caller)
        return Release(
            id=str(uuid.uuid4()), dataset_id=dataset.id, name=draft.name,
            description=draft.description, status=ReleaseStatus.PENDING, created_by=caller,
            create_time=now(), dataset_revision=dataset.revision,
            label_revision=label_revision, snapshot=dataset_header(dataset, label_sets),
        )

    # read
    async def _role(self, dataset_id: str) -> int:
        """The caller's role on a dataset (0 when they cannot see it), from the dataset
        service: releases are visible to whoever may read their dataset."""
        try:
            return await self.peers.dataset.caller_role(dataset_id, current_caller())
        except NotFound:
            return 0

    async def get_release(self, release_id: str, field: str = "release_id",
                          needed: Role = Role.VIEWER, action: str = "reading it") -> Release:
        _require(release_id, field)
        async with self.db.read() as session:
            release = await ReleaseRepository(session).get(release_id)
        if release is None:
            raise NotFound("release", release_id)
        try:
            require(await self._role(release.dataset_id), needed, release.dataset_id, action)
        except NotFound:
            raise NotFound("release", release_id) from None
        return release

    async def list_releases(self, dataset_id: str, size: int,
                            token: str) -> tuple[list[Release], str]:
        _require(dataset_id, "dataset_id")
        limit = page_size(size)
        state = decode_token(token, "ListReleases", {"d": str, "t": str, "i": str})
        after = None
        if state:
            if state["d"] != dataset_id:
                raise InvalidArgument.of("page_token", "from a listing of another dataset")
            after = (datetime.fromisoformat(state["t"]), state["i"])
        require(await self._role(dataset_id), Role.VIEWER, dataset_id, "ListReleases")
        async with self.db.read() as session:
            found = await ReleaseRepository(session).page(dataset_id, after, limit + 1)
        next_token = ""
        if len(found) > limit:
            found = found[:limit]
            last = found[-1]
            next_token = encode_token("ListReleases", {
                "d": dataset_id, "t": last.create_time.isoformat(), "i": last.id})
        return found, next_token

    async def delete_release(self, release_id: str) -> None:
        release = await self.get_release(release_id, needed=Role.ADMIN, action="DeleteRelease")
        await self.builder.cancel(release.id)
        async with self.db.write() as session:
            if not await ReleaseRepository(session).delete(release.id):
                raise NotFound("release", release_id)
        await asyncio.to_thread(self.blobs.delete, release.blob_key)
        await asyncio.to_thread(self.blobs.delete, release.manifest_key)

    # files
    async def _succeeded(self, release_id: str, field: str) -> Release:
        release = await self.get_release(release_id, field)
        if release.status is not ReleaseStatus.SUCCEEDED:
            detail = f": {release.failure_reason}" if release.failure_reason else ""
            raise FailedPrecondition(
                f"release {release_id} is {release.status.value.upper()}{detail}; only a "
                "SUCCEEDED release has files", reason="RELEASE_NOT_READY",
                metadata={"status": release.status.value})
        # The store may be an object store: its calls block, so they run on a thread.
        if await asyncio.to_thread(self.blobs.size, release.blob_key) != \
                release.file_size_bytes:
            raise FailedPrecondition(f"the file of release {release_id} is missing or damaged",
                                     reason="RELEASE_FILE_MISSING")
        return release

    async def download(self, release_id: str, offset: int,
                       chunk_size: int) -> AsyncIterator[tuple[bytes, int, int]]:
        """(data, offset, total size) chunks from `offset`."""
        if chunk_size and not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
            raise InvalidArgument.of("chunk_size", f"at least {MIN_CHUNK_BYTES} and at most "
                                                   f"{MAX_CHUNK_BYTES} bytes, or 0")
        if offset < 0:
            raise InvalidArgument.of("offset", "must not be negative")
        release = await self._succeeded(release_id, "release_id")
        total = release.file_size_bytes
        if offset > total:
            raise InvalidArgument.of("offset", f"beyond the end of the file ({total} bytes)")
        if offset == total:
            yield b"", offset, total
            return
        position = offset
        async for data in self.blobs.chunks(release.blob_key, offset,
                                            chunk_size or DEFAULT_CHUNK):
            yield data, position, total
            position += len(data)

    async def download_url(self, release_id: str,
                           expires_in_s: int | None) -> tuple[Release, str, datetime]:
        """A pre-signed URL of the release file, from a store that can hand one out."""
        expires = DEFAULT_URL_EXPIRY_S if expires_in_s is None else expires_in_s
        if not 1 <= expires <= MAX_URL_EXPIRY_S:
            raise InvalidArgument.of("expires_in", f"1 second to {MAX_URL_EXPIRY_S // 86400}"
                                                   " days, or unset (1 hour)")
        release = await self._succeeded(release_id, "release_id")
        signed = await asyncio.to_thread(self.blobs.presigned_url, release.blob_key, expires,
                                         f"{exports.safe_name(release.name)}.json")
        if signed is None:
            raise FailedPrecondition(
                "this service keeps release files in a directory, which has no URL to hand "
                "out: use DownloadRelease", reason="DOWNLOAD_URL_UNSUPPORTED")
        return release, *signed

    async def export(self, release_id: str, export_format: exports.ExportFormat,
                     format_name: str, label_set: str) -> AsyncIterator[exports.Piece]:
        release = await self._succeeded(release_id, "release_id")
        task_type = TaskType(release.snapshot["task_type"])
        exports.check_supported(export_format, task_type, format_name)
        label_set = label_set or DEFAULT_LABEL_SET
        sets = [s["name"] for s in release.snapshot.get("labelsets", [])]
        if label_set not in sets:
            raise InvalidArgument.of("label_set", f"the release has no label set {label_set!r}"
                                                  f" (it has: {', '.join(sets)})")
        opener = partial(self.blobs.open, release.blob_key)
        sequence = spec(task_type).is_sequence
        pieces: Iterator[exports.Piece]
        if export_format is exports.ExportFormat.RELEASE_JSON:
            pieces = exports.release_json(opener, f"{exports.safe_name(release.name)}.json")
        elif export_format is exports.ExportFormat.COCO_INSTANCE:
            pieces = exports.coco(opener, label_set, sequence)
        else:
            pieces = exports.yolo(opener, label_set, sequence)
        # The exporters read files: each step runs on a worker thread.
        done = object()
        while (piece := await asyncio.to_thread(next, pieces, done)) is not done:
            yield piece  # type: ignore[misc]

    async def diff(self, base_id: str, target_id: str,
                   ) -> AsyncIterator[tuple[list[diffs.Change], diffs.Summary | None]]:
        _require(base_id, "base_release_id")
        _require(target_id, "target_release_id")
        base = await self._succeeded(base_id, "base_release_id")
        target = await self._succeeded(target_id, "target_release_id")
        if base.dataset_id != target.dataset_id:
            raise InvalidArgument.of("target_release_id",
                                     "a release of another dataset than the base release")
        sets = list(dict.fromkeys(
            [s["name"] for s in base.snapshot.get("labelsets", [])]
            + [s["name"] for s in target.snapshot.get("labelsets", [])]))
        summary = diffs.Summary()
        with self.blobs.open(manifest_blob_key(base.id)) as left, \
                self.blobs.open(manifest_blob_key(target.id)) as right:
            changes = diffs.diff(diffs.parse_manifest(x.decode() for x in left),
                                 diffs.parse_manifest(x.decode() for x in right), sets, summary)
            batch: list[diffs.Change] = []
            for change in changes:
                batch.append(change)
                if len(batch) >= DIFF_BATCH:
                    yield batch, None
                    batch = []
                    await asyncio.sleep(0)  # let other calls run between batches
        yield batch, summary
