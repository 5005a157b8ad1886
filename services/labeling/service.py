"""The labeling service's use cases: domain rules over storage, no gRPC.

Every method owns its transactions. What can be checked before writing is checked first
(the dataset service, validation, the etag, the hold). A save reads the label's head,
then appends with a compare-and-swap on the revision it read (or an overwrite without
an etag), batched with the saves arriving together (storage.batching): on PostgreSQL
one function call that takes the revision, supersedes and inserts in one server-side
transaction; on SQLite one BEGIN IMMEDIATE transaction for the whole batch. A delete
takes the same road: its deletion marker is appended with a compare-and-swap on the
revision it read. Either is retried a bounded number of times (OVERWRITE_ATTEMPTS)
before ABORTED. Holds and track ids are transactions of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

from services.labeling.domain.access import check_save
from services.labeling.domain.models import (
    REVIEW_STATUSES,
    Assignment,
    DatasetInfo,
    Label,
    LabelDraft,
    LabelStatus,
    SampleInfo,
)
from services.labeling.domain.validation import CheckedLabel, check_label
from services.labeling.peers.dataset import DatasetClient
from services.labeling.storage.batching import ANY_PREVIOUS
from services.labeling.storage.gate import GatedDatabase
from services.labeling.storage.heads import label_heads
from services.labeling.storage.repository import Conflict, LabelRepository
from shared.db import Database
from shared.db.types import utcnow
from shared.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound
from shared.etags import check_etag, stale
from shared.labels.format import MAX_TRACK_ID
from shared.limits import MAX_TRACK_IDS, MAX_USER_LENGTH
from shared.paging import decode_token, encode_token, page_size
from shared.roles import Role, require
from shared.task_types import spec

# A write without an etag that loses a race is retried this many times before ABORTED.
OVERWRITE_ATTEMPTS = 5
CLAIM_PAGE_SIZE = 200


def _require(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument.of(field, "required")
    return value


def _check_etag(etag: str, current: Label | None) -> None:
    check_etag(etag, "" if current is None or current.deleted else current.etag, "label")


def _check_hold(hold: Assignment | None, caller: str, role: int) -> None:
    """Only the holder changes a held sample's label, and the dataset's admins: whatever
    a labeler holds, an admin can always repair or remove a label (the revision records
    who did)."""
    if hold is not None and hold.labeler != caller and role < Role.ADMIN:
        raise FailedPrecondition(
            f"sample {hold.sample_id!r} is held by {hold.labeler!r} in label set "
            f"{hold.label_set!r}; only they can change its label until it is released",
            reason="SAMPLE_HELD", metadata={"labeler": hold.labeler})


def _next_state(caller: str, draft: LabelDraft, dataset_id: str, checked: CheckedLabel,
                current: Label | None, revision: int) -> Label:
    """The label a save makes: the draft, with who/when carried over from the live label."""
    live = current if current is not None and not current.deleted else None
    now = utcnow()
    status = draft.status or (live.status if live else LabelStatus.LABELED)
    reviewed = status in REVIEW_STATUSES and (live is None or live.status != status)
    return Label(
        sample_id=draft.sample_id,
        label_set=draft.label_set,
        dataset_id=dataset_id,
        attributes=checked.document,
        attributes_json=checked.text,
        status=status,
        score=draft.score,
        created_by=live.created_by if live else caller,
        create_time=live.create_time if live else now,
        updated_by=caller,
        update_time=now,
        reviewed_by=caller if reviewed else (live.reviewed_by if live else ""),
        review_time=now if reviewed else (live.review_time if live else None),
        revision=revision,
        max_track_id=checked.max_track_id,
    )


class LabelingOperations:
    def __init__(self, db: Database, datasets: DatasetClient) -> None:
        self.db = GatedDatabase(db)
        self.datasets = datasets
        self.heads = label_heads(self.db)

    async def close(self) -> None:
        """Gives back the connections the save batches keep (before the engine goes)."""
        await self.heads.close()

    async def _sample(self, sample_id: str, label_set: str, field: str = "sample_id",
                      ) -> tuple[SampleInfo, DatasetInfo]:
        _require(sample_id, field)
        sample, dataset = await self.datasets.sample(sample_id)
        await self.datasets.require_label_set(dataset.id, label_set)
        return sample, dataset

    # labels
    async def get_label(self, sample_id: str, label_set: str, revision: int) -> Label:
        if revision < 0:
            raise InvalidArgument.of("revision", "must not be negative")
        await self._sample(sample_id, label_set)
        async with self.db.read() as session:
            repo = LabelRepository(session)
            if revision:
                label = await repo.label_at(sample_id, label_set, revision)
            else:
                label = await repo.current_label(sample_id, label_set)
        if label is None or label.deleted:
            raise NotFound("label", f"{sample_id}/{label_set}"
                           + (f"@{revision}" if revision else ""))
        return label

    async def save_label(self, caller: str, draft: LabelDraft) -> Label:
        sample, dataset = await self._sample(draft.sample_id, draft.label_set,
                                             "label.sample_id")
        # Whether the caller may save at all comes before what they send and the holds.
        require(dataset.caller_role, Role.LABELER, dataset.id, "SaveLabel")
        # Also gives the JSON text that is stored and answered: nothing the reply needs
        # is computed after the commit, so a save that fails has written nothing.
        checked = check_label(draft.attributes, dataset, sample)
        return await self._save_atomic(caller, draft, sample, dataset, checked)

    async def _save_atomic(self, caller: str, draft: LabelDraft, sample: SampleInfo,
                           dataset: DatasetInfo, checked: CheckedLabel) -> Label:
        """Checks on what was read, then one atomic compare-and-swap append."""
        for _ in range(OVERWRITE_ATTEMPTS):
            current, hold = await self.heads.head(draft.sample_id, draft.label_set)
            _check_etag(draft.etag, current)
            _check_hold(hold, caller, dataset.caller_role)
            label = _next_state(caller, draft, dataset.id, checked, current, 0)
            check_save(dataset.caller_role, caller, sample, hold, label.status)
            expected = current.revision if draft.etag and current else ANY_PREVIOUS
            revision = await self.heads.append(label, expected)
            if revision is not None:
                label.revision = revision
                return label
            if draft.etag:
                raise stale("label", draft.etag, "")
        raise Aborted("too many concurrent writes to this label; retry", reason="CONTENTION")

    async def delete_label(self, caller: str, sample_id: str, label_set: str,
                           etag: str) -> int:
        """A deletion marker appended by the save path (storage.batching): a
        compare-and-swap on the revision read, retried a bounded number of times."""
        _, dataset = await self._sample(sample_id, label_set)
        require(dataset.caller_role, Role.ADMIN, dataset.id, "DeleteLabel")
        for _ in range(OVERWRITE_ATTEMPTS):
            async with self.db.read() as session:
                repo = LabelRepository(session)
                current = await repo.current_label(sample_id, label_set)
                hold = await repo.get_hold(sample_id, label_set)
            _check_etag(etag, current)
            _check_hold(hold, caller, dataset.caller_role)
            if current is None or current.deleted:
                raise NotFound("label", f"{sample_id}/{label_set}")
            marker = replace(current, deleted=True, attributes={}, attributes_json=None,
                             attributes_problem="", updated_by=caller, update_time=utcnow(),
                             revision=0)
            revision = await self.heads.append(marker, current.revision)
            if revision is not None:
                return revision
            if etag:
                raise stale("label", etag, "")
        raise Aborted("too many concurrent writes to this label; retry", reason="CONTENTION")

    async def list_labels(self, dataset_id: str, label_set: str, status: LabelStatus | None,
                          size: int, token: str) -> tuple[list[Label], str]:
        limit = page_size(size)
        state = decode_token(token, "ListLabels", {"after": str, "f": list})
        filters = [dataset_id, label_set, status.value if status else ""]
        if state and state.get("f") != filters:
            raise InvalidArgument.of("page_token", "the request changed since the first page")
        await self.datasets.dataset(_require(dataset_id, "dataset_id"))
        await self.datasets.require_label_set(dataset_id, label_set)
        async with self.db.read() as session:
            labels = await LabelRepository(session).list_current(
                dataset_id, label_set, status, str(state.get("after", "")), limit + 1)
        more = len(labels) > limit
        next_token = encode_token("ListLabels", {"after": labels[limit - 1].sample_id,
                                                  "f": filters}) \
            if more else ""
        return labels[:limit], next_token

    async def list_revisions(self, sample_id: str, label_set: str, size: int,
                             token: str) -> tuple[list[Label], str]:
        limit = page_size(size)
        state = decode_token(token, "ListLabelRevisions", {"before": int, "f": list})
        if state and state.get("f") != [sample_id, label_set]:
            raise InvalidArgument.of("page_token", "the request changed since the first page")
        before = state.get("before", 0)
        if type(before) is not int or before < 0:  # a token of ours holds a revision
            raise InvalidArgument.of("page_token", "not a page token from a previous response")
        await self._sample(sample_id, label_set)
        async with self.db.read() as session:
            found = await LabelRepository(session).list_revisions(
                sample_id, label_set, before, limit + 1)
        more = len(found) > limit
        next_token = encode_token("ListLabelRevisions", {
            "before": found[limit - 1].revision, "f": [sample_id, label_set]}) if more else ""
        return found[:limit], next_token

    async def stream_labels(self, dataset_id: str, label_set: str, as_of: int,
                            size: int) -> AsyncIterator[tuple[list[Label], int]]:
        """Yields (labels, revision) pages: keyset paging, one short read per page."""
        limit = page_size(size)
        if as_of < 0:
            raise InvalidArgument.of("as_of_revision", "must not be negative")
        await self.datasets.dataset(_require(dataset_id, "dataset_id"))
        await self.datasets.require_label_set(dataset_id, label_set)
        async with self.db.read() as session:
            current = await LabelRepository(session).current_revision()
        if as_of > current:
            raise InvalidArgument.of("as_of_revision",
                                     f"revision {as_of} is in the future (now {current})")
        revision = as_of or current
        after = ""
        while True:
            async with self.db.read() as session:
                labels = await LabelRepository(session).list_as_of(
                    dataset_id, label_set, revision, after, limit)
            if labels or not after:
                yield labels, revision
            if len(labels) < limit:
                return
            after = labels[-1].sample_id

    # holds
    async def claim_next(self, caller: str, dataset_id: str, label_set: str) -> Assignment | None:
        dataset = await self.datasets.dataset(_require(dataset_id, "dataset_id"))
        require(dataset.caller_role, Role.LABELER, dataset_id, "ClaimNextSample")
        await self.datasets.require_label_set(dataset_id, label_set)
        async with self.db.read() as session:
            repo = LabelRepository(session)
            mine = await repo.holds_of(dataset_id, caller, label_set)
            # A labeler who claims again gets back the unfinished sample they hold.
            finished = await repo.labeled_samples([h.sample_id for h in mine], label_set)
        for hold in mine:
            if hold.sample_id not in finished:
                return hold
        token = ""
        while True:
            samples, token = await self.datasets.samples_by_priority(dataset_id, token,
                                                                     CLAIM_PAGE_SIZE)
            ids = [s.id for s in samples
                   if not s.assigned_labeler or s.assigned_labeler == caller]
            async with self.db.read() as session:
                repo = LabelRepository(session)
                taken = (await repo.labeled_samples(ids, label_set)
                         | await repo.held_samples(ids, label_set))
            for sample_id in ids:
                if sample_id in taken:
                    continue
                hold = Assignment(sample_id, label_set, caller, dataset_id, utcnow())
                try:
                    async with self.db.write() as session:
                        # The primary key decides between two labelers claiming at once.
                        await LabelRepository(session).add_hold(hold)
                    return hold
                except Conflict:
                    continue
            if not token:
                return None

    async def release(self, caller: str, sample_id: str, label_set: str) -> Assignment:
        _, dataset = await self._sample(sample_id, label_set)
        require(dataset.caller_role, Role.LABELER, dataset.id, "ReleaseSample")
        async with self.db.write() as session:
            repo = LabelRepository(session)
            hold = await repo.get_hold(sample_id, label_set)
            if hold is not None:
                if hold.labeler != caller and dataset.caller_role < Role.MANAGER:
                    raise FailedPrecondition(
                        f"sample {sample_id!r} is held by {hold.labeler!r}, not by you; a "
                        "manager can reassign it with AssignSample", reason="SAMPLE_HELD",
                        metadata={"labeler": hold.labeler})
                await repo.delete_hold(sample_id, label_set)
        return Assignment(sample_id, label_set)

    async def assign(self, sample_id: str, label_set: str, labeler: str) -> Assignment:
        if len(labeler) > MAX_USER_LENGTH:
            raise InvalidArgument.of("labeler", f"at most {MAX_USER_LENGTH} characters")
        sample, dataset = await self._sample(sample_id, label_set)
        require(dataset.caller_role, Role.MANAGER, dataset.id, "AssignSample")
        hold = Assignment(sample_id, label_set, labeler, sample.dataset_id, utcnow())
        for _ in range(OVERWRITE_ATTEMPTS):
            try:
                async with self.db.write() as session:
                    repo = LabelRepository(session)
                    current = await repo.get_hold(sample_id, label_set)
                    if not labeler:
                        await repo.delete_hold(sample_id, label_set)
                        return Assignment(sample_id, label_set)
                    if current is not None and current.labeler == labeler:
                        return current
                    await repo.replace_hold(hold)
                    return hold
            except Conflict:
                continue
        raise Aborted("the hold changed concurrently; retry", reason="CONTENTION")

    # track ids
    async def allocate_track_ids(self, sample_id: str, label_set: str, count: int) -> list[int]:
        if count < 0 or count > MAX_TRACK_IDS:
            raise InvalidArgument.of("count", f"at most {MAX_TRACK_IDS} (0 means 1), got {count}")
        count = count or 1
        _, dataset = await self._sample(sample_id, label_set)
        require(dataset.caller_role, Role.LABELER, dataset.id, "AllocateTrackIds")
        if not spec(dataset.task_type).is_sequence:
            raise FailedPrecondition(f"task type {dataset.task_type.value!r} has no tracks",
                                     reason="NOT_A_SEQUENCE")
        for _ in range(OVERWRITE_ATTEMPTS):
            try:
                async with self.db.write() as session:
                    repo = LabelRepository(session)
                    current = await repo.current_label(sample_id, label_set)
                    floor = current.max_track_id + 1 if current is not None else 1
                    first = await repo.reserve_track_ids(sample_id, label_set, floor, count,
                                                         MAX_TRACK_ID)
                    if first is None:
                        raise FailedPrecondition(
                            f"this label has no {count} track ids left below {MAX_TRACK_ID}",
                            reason="TRACK_IDS_EXHAUSTED")
                    return list(range(first, first + count))
            except Conflict:
                continue
        raise Aborted("concurrent allocations; retry", reason="CONTENTION")
