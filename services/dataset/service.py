"""The dataset service's use cases: domain rules over storage, no gRPC.

The servicer converts protobuf to the domain types used here and back; every method
owns one transaction. A write takes `present`, the conversion of its result into the
reply, and calls it before the commit: a reply that cannot be made rolls the write back,
so a client is never told a call failed that wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from services.dataset.domain import validation
from services.dataset.domain.frames import frame_count, frames_of
from services.dataset.domain.models import (
    DEFAULT_LABEL_SET,
    Collaborator,
    Dataset,
    Frame,
    LabelSet,
    Role,
    Sample,
)
from services.dataset.storage.repository import DatasetRepository, SampleQuery
from shared.db import Database
from shared.db.types import utcnow
from shared.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Violations,
)
from shared.etags import check_etag, mask_paths
from shared.identity import current_caller
from shared.limits import MAX_BATCH_SAMPLES
from shared.paging import decode_token, encode_token, page_size
from shared.roles import require
from shared.task_types import TaskType

R = TypeVar("R")

DATASET_MUTABLE = ("name", "description", "task_attributes", "settings", "metadata_json")
SAMPLE_MUTABLE = ("name", "attributes_json", "metadata_json", "priority", "assigned_labeler",
                  "assigned_reviewer")


def _new_id() -> str:
    return str(uuid.uuid4())


def _parse_order(order_by: str) -> tuple[str, bool]:
    parts = order_by.split()
    if not parts:
        return "create_time", False
    if len(parts) > 2 or parts[0] not in ("name", "create_time", "priority") or (
        len(parts) == 2 and parts[1].lower() not in ("asc", "desc")
    ):
        raise InvalidArgument.of("order_by", "one of name, create_time, priority, "
                                             "optionally followed by ' desc'")
    return parts[0], len(parts) == 2 and parts[1].lower() == "desc"


async def _keep_an_admin(repo: DatasetRepository, leaving: Collaborator, how: str) -> None:
    """A dataset always has an admin: without one nobody could manage or delete it. The
    caller holds the dataset's row lock, so two admins leaving at once are serialised."""
    if leaving.role == Role.ADMIN and await repo.count_admins(leaving.dataset_id) <= 1:
        raise FailedPrecondition(
            f"{leaving.user!r} is the dataset's last admin and cannot be {how}: make another "
            "collaborator an admin first", reason="LAST_ADMIN")


class DatasetOperations:
    def __init__(self, db: Database) -> None:
        self.db = db

    # datasets
    async def create_dataset(self, caller: str, draft: Dataset, request_id: str,
                             present: Callable[[Dataset], R]) -> R:
        violations = Violations()
        validation.check_resource_name(violations, draft.name, "dataset.name")
        validation.check_description(violations, draft.description, "dataset.description")
        validation.check_task_attributes(violations, draft.task_attributes, draft.task_type,
                                         "dataset.task_attributes")
        violations.raise_if_any()
        key = f"CreateDataset/{caller}/{request_id}"
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            if request_id and (ids := await repo.find_request(key)):
                existing = await repo.get_dataset(ids[0])
                if existing is not None:
                    return present(existing)
            if await repo.dataset_name_taken(caller, draft.name):
                raise AlreadyExists(f"you already have a dataset named {draft.name!r}",
                                    metadata={"field": "dataset.name"})
            now = utcnow()
            revision = await repo.next_revision()
            dataset = replace(draft, id=_new_id(), owner=caller, create_time=now,
                              update_time=now, revision=revision, read_revision=revision)
            await repo.add_dataset(dataset)
            await repo.add_label_set(LabelSet(dataset.id, DEFAULT_LABEL_SET,
                                              "The ground truth", True, now))
            await repo.put_collaborator(Collaborator(dataset.id, caller, Role.ADMIN, now, now))
            dataset.caller_role = Role.ADMIN
            if request_id:
                await repo.save_request(key, [dataset.id])
            return present(dataset)

    async def _require_dataset(self, repo: DatasetRepository, dataset_id: str, needed: Role,
                               action: str, *, for_update: bool = False) -> Dataset:
        """The dataset, if the caller's role on it is at least `needed` (else NOT_FOUND
        when they have none, PERMISSION_DENIED when it is too low)."""
        role = await repo.role_of(dataset_id, current_caller()) if dataset_id else None
        require(role, needed, dataset_id, action)
        dataset = await repo.get_dataset(dataset_id, for_update=for_update)
        if dataset is None:
            raise NotFound("dataset", dataset_id)
        dataset.caller_role = int(role or 0)
        return dataset

    async def get_dataset(self, dataset_id: str) -> Dataset:
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            dataset = await self._require_dataset(repo, dataset_id, Role.VIEWER, "reading it")
            dataset.sample_count = (await repo.count_samples([dataset_id])).get(dataset_id, 0)
            dataset.read_revision = await repo.current_revision()
            return dataset

    async def list_datasets(self, *, owner: str, name_contains: str, task_type: TaskType | None,
                            size: int, token: str) -> tuple[list[Dataset], str]:
        limit = page_size(size)
        state = decode_token(token, "ListDatasets", {"t": str, "id": str})
        after = (datetime.fromisoformat(state["t"]), state["id"]) if state else None
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            datasets = await repo.list_datasets(
                visible_to=current_caller(), owner=owner, name_contains=name_contains,
                task_type=task_type.value if task_type else "", after=after, limit=limit + 1,
            )
            counts = await repo.count_samples([d.id for d in datasets[:limit]])
            revision = await repo.current_revision()
        for dataset in datasets:
            dataset.sample_count = counts.get(dataset.id, 0)
            dataset.read_revision = revision
        next_token = ""
        if len(datasets) > limit:
            last = datasets[limit - 1]
            assert last.create_time is not None  # a stored dataset's (create_time NOT NULL)
            next_token = encode_token("ListDatasets", {"t": last.create_time.isoformat(),
                                                       "id": last.id})
        return datasets[:limit], next_token

    async def update_dataset(self, patch: Dataset, mask: list[str], etag: str,
                             present: Callable[[Dataset], R]) -> R:
        paths = mask_paths(mask, DATASET_MUTABLE)
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            current = await self._require_dataset(repo, patch.id, Role.MANAGER,
                                                  "UpdateDataset", for_update=True)
            check_etag(etag, current.etag, "dataset")
            changes: dict[str, Any] = {}
            for path in paths:
                attribute = "metadata" if path == "metadata_json" else path
                changes[attribute] = getattr(patch, attribute)
            updated = replace(current, **changes)
            violations = Violations()
            validation.check_resource_name(violations, updated.name, "dataset.name")
            validation.check_description(violations, updated.description, "dataset.description")
            validation.check_task_attributes(violations, updated.task_attributes,
                                             updated.task_type, "dataset.task_attributes")
            violations.raise_if_any()
            if "name" in paths and await repo.dataset_name_taken(
                updated.owner, updated.name, except_id=updated.id
            ):
                raise AlreadyExists(f"the owner already has a dataset named {updated.name!r}",
                                    metadata={"field": "dataset.name"})
            updated.revision = await repo.next_revision()
            updated.update_time = utcnow()
            await repo.save_dataset(updated)
            updated.sample_count = (await repo.count_samples([updated.id])).get(updated.id, 0)
            updated.read_revision = updated.revision
            return present(updated)

    async def delete_dataset(self, dataset_id: str, etag: str) -> None:
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            current = await self._require_dataset(repo, dataset_id, Role.ADMIN,
                                                  "DeleteDataset", for_update=True)
            check_etag(etag, current.etag, "dataset")
            await repo.next_revision()
            await repo.delete_dataset(dataset_id)

    # samples
    def _checked_sample(self, dataset: Dataset, draft: Sample, field: str,
                        violations: Violations) -> Sample:
        validation.check_sample_name(violations, draft.name, f"{field}.name")
        before = len(violations.items)
        validation.check_sample_attributes(violations, draft.attributes, dataset.task_type,
                                           f"{field}.attributes_json")
        frames = 1
        if len(violations.items) == before:
            frames = frame_count(draft.attributes, dataset.task_type)
        return replace(draft, dataset_id=dataset.id, frame_count=frames)

    async def create_samples(self, caller: str, dataset_id: str, drafts: list[Sample],
                             request_id: str, present: Callable[[list[Sample]], R], *,
                             field: str = "samples") -> R:
        if not drafts:
            raise InvalidArgument.of(field, "at least one sample is required")
        if len(drafts) > MAX_BATCH_SAMPLES:
            raise InvalidArgument.of(field, f"at most {MAX_BATCH_SAMPLES} samples, "
                                            f"got {len(drafts)}")
        key = f"CreateSamples/{caller}/{request_id}"
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            if request_id and (ids := await repo.find_request(key)):
                found = [await repo.get_sample(i) for i in ids]
                return present([s for s in found if s is not None])
            dataset = await self._require_dataset(repo, dataset_id, Role.MANAGER,
                                                  "adding samples", for_update=True)
            violations = Violations()
            single = len(drafts) == 1 and field == "sample"
            checked = [
                self._checked_sample(dataset, d, field if single else f"{field}[{i}]", violations)
                for i, d in enumerate(drafts)
            ]
            for i, draft in enumerate(drafts):
                if draft.dataset_id and draft.dataset_id != dataset_id:
                    violations.add(f"{field}[{i}].dataset_id",
                                   f"must be empty or the request's dataset_id {dataset_id!r}")
            seen: dict[str, int] = {}
            for i, sample in enumerate(checked):
                if sample.name in seen:
                    violations.add(f"{field}[{i}].name",
                                   f"same name as {field}[{seen[sample.name]}]")
                seen.setdefault(sample.name, i)
            violations.raise_if_any()
            taken = await repo.taken_sample_names(dataset_id, list(seen))
            if taken:
                raise AlreadyExists(f"samples named {sorted(taken)[:10]} exist in the dataset",
                                    metadata={"field": f"{field}.name"})
            revision = await repo.next_revision()
            now = utcnow()
            created = [
                replace(s, id=_new_id(), created_by=caller, create_time=now, update_time=now,
                        revision=revision)
                for s in checked
            ]
            await repo.add_samples(created)
            if request_id:
                await repo.save_request(key, [s.id for s in created])
            return present(created)

    async def _require_sample(self, repo: DatasetRepository, sample_id: str, needed: Role,
                              action: str, *, as_of: int = 0,
                              for_update: bool = False) -> tuple[Sample, Dataset]:
        """The sample and its dataset, if the caller's role there is at least `needed`; a
        sample of a dataset the caller cannot see is NOT_FOUND like a missing one."""
        sample = (await repo.get_sample(sample_id, as_of=as_of, for_update=for_update)
                  if sample_id else None)
        if sample is None:
            raise NotFound("sample", sample_id)
        try:
            dataset = await self._require_dataset(repo, sample.dataset_id, needed, action)
        except NotFound:
            raise NotFound("sample", sample_id) from None
        return sample, dataset

    async def get_sample(self, sample_id: str) -> Sample:
        async with self.db.read() as session:
            sample, _ = await self._require_sample(DatasetRepository(session), sample_id,
                                                   Role.VIEWER, "reading it")
            return sample

    async def list_samples(self, *, dataset_id: str, size: int, token: str, name_contains: str,
                           metadata_equals: dict[str, Any], order_by: str, as_of: int,
                           assigned_labeler: str) -> tuple[list[Sample], str, int]:
        limit = page_size(size)
        order, descending = _parse_order(order_by)
        if as_of < 0:
            raise InvalidArgument.of("as_of_revision", "must not be negative")
        state = decode_token(token, "ListSamples",
                             {"r": int, "k": (str, int, float), "id": str, "f": list})
        filters = [name_contains, metadata_equals, order_by, assigned_labeler, dataset_id]
        if state and state.get("f") != filters:
            raise InvalidArgument.of("page_token", "the filters changed since the first page")
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, dataset_id, Role.VIEWER, "ListSamples")
            revision = int(state["r"]) if state else (as_of or await repo.current_revision())
            after = None
            if state:
                key = state["k"]
                if order == "create_time":
                    key = datetime.fromisoformat(key)
                after = (key, state["id"])
            query = SampleQuery(dataset_id, revision, order, descending, name_contains,
                                metadata_equals, assigned_labeler)
            samples = await repo.list_samples(query, after, limit + 1)
        next_token = ""
        if len(samples) > limit:
            last = samples[limit - 1]
            key_value: Any = getattr(last, order)
            if isinstance(key_value, datetime):
                key_value = key_value.isoformat()
            next_token = encode_token("ListSamples", {"r": revision, "k": key_value, "id": last.id,
                                                      "f": filters})
        return samples[:limit], next_token, revision

    async def update_sample(self, patch: Sample, mask: list[str], etag: str,
                            present: Callable[[Sample], R]) -> R:
        paths = mask_paths(mask, SAMPLE_MUTABLE)
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            current, dataset = await self._require_sample(repo, patch.id, Role.MANAGER,
                                                          "UpdateSample", for_update=True)
            check_etag(etag, current.etag, "sample")
            changes: dict[str, Any] = {}
            for path in paths:
                attribute = {"metadata_json": "metadata", "attributes_json": "attributes"}.get(
                    path, path)
                changes[attribute] = getattr(patch, attribute)
            violations = Violations()
            updated = self._checked_sample(dataset, replace(current, **changes), "sample",
                                           violations)
            violations.raise_if_any()
            if "name" in paths and updated.name != current.name and (
                await repo.taken_sample_names(dataset.id, [updated.name])
            ):
                raise AlreadyExists(f"a sample named {updated.name!r} exists in the dataset",
                                    metadata={"field": "sample.name"})
            updated = replace(updated, revision=await repo.next_revision(), update_time=utcnow())
            await repo.replace_sample(updated, current.revision)
            return present(updated)

    async def delete_sample(self, sample_id: str, etag: str) -> None:
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            current, _ = await self._require_sample(repo, sample_id, Role.ADMIN, "DeleteSample",
                                                    for_update=True)
            check_etag(etag, current.etag, "sample")
            await repo.supersede_sample(sample_id, current.revision, await repo.next_revision())

    async def sample_frames(self, sample_id: str, sensor: str,
                            as_of: int) -> tuple[TaskType, list[Frame]]:
        if as_of < 0:
            raise InvalidArgument.of("as_of_revision", "must not be negative")
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            sample, dataset = await self._require_sample(repo, sample_id, Role.VIEWER,
                                                         "GetSampleFrames", as_of=as_of)
        return frames_of(sample.attributes, dataset.task_type, sensor)

    # label sets
    async def create_label_set(self, draft: LabelSet, present: Callable[[LabelSet], R]) -> R:
        violations = Violations()
        validation.check_resource_name(violations, draft.name, "label_set.name")
        validation.check_description(violations, draft.description, "label_set.description")
        violations.raise_if_any()
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, draft.dataset_id, Role.MANAGER, "CreateLabelSet",
                                        for_update=True)
            if await repo.get_label_set(draft.dataset_id, draft.name) is not None:
                raise AlreadyExists(f"label set {draft.name!r} exists",
                                    metadata={"field": "label_set.name"})
            label_set = replace(draft, is_default=False, create_time=utcnow())
            await repo.add_label_set(label_set)
            return present(label_set)

    async def get_label_set(self, dataset_id: str, name: str) -> LabelSet:
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, dataset_id, Role.VIEWER, "GetLabelSet")
            label_set = await repo.get_label_set(dataset_id, name)
            if label_set is None:
                raise NotFound("label set", name)
            return label_set

    async def list_label_sets(self, dataset_id: str, size: int,
                              token: str) -> tuple[list[LabelSet], str]:
        limit = page_size(size)
        after = decode_token(token, "ListLabelSets", {"after": str}).get("after", "")
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, dataset_id, Role.VIEWER, "ListLabelSets")
            sets = await repo.list_label_sets(dataset_id, after, limit + 1)
        more = len(sets) > limit
        token = encode_token("ListLabelSets", {"after": sets[limit - 1].name}) if more else ""
        return sets[:limit], token

    async def delete_label_set(self, dataset_id: str, name: str) -> None:
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, dataset_id, Role.ADMIN, "DeleteLabelSet",
                                        for_update=True)
            label_set = await repo.get_label_set(dataset_id, name)
            if label_set is None:
                raise NotFound("label set", name)
            if label_set.is_default:
                raise FailedPrecondition(f"the default label set {name!r} cannot be deleted",
                                         reason="DEFAULT_LABEL_SET")
            await repo.delete_label_set(dataset_id, name)

    # collaborators
    async def add_collaborator(self, draft: Collaborator,
                               present: Callable[[Collaborator], R]) -> R:
        if not draft.user:
            raise InvalidArgument.of("collaborator.user", "required")
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, draft.dataset_id, Role.ADMIN, "AddCollaborator",
                                        for_update=True)
            if await repo.get_collaborator(draft.dataset_id, draft.user) is not None:
                raise AlreadyExists(f"{draft.user!r} is already a collaborator",
                                    metadata={"field": "collaborator.user"})
            now = utcnow()
            collaborator = replace(draft, create_time=now, update_time=now)
            await repo.put_collaborator(collaborator)
            return present(collaborator)

    async def list_collaborators(self, dataset_id: str, size: int,
                                 token: str) -> tuple[list[Collaborator], str]:
        limit = page_size(size)
        after = decode_token(token, "ListCollaborators", {"after": str}).get("after", "")
        async with self.db.read() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, dataset_id, Role.VIEWER, "ListCollaborators")
            found = await repo.list_collaborators(dataset_id, after, limit + 1)
        more = len(found) > limit
        token = encode_token("ListCollaborators", {"after": found[limit - 1].user}) if more else ""
        return found[:limit], token

    async def update_collaborator(self, patch: Collaborator, mask: list[str],
                                  present: Callable[[Collaborator], R]) -> R:
        mask_paths(mask, ("role",))
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, patch.dataset_id, Role.ADMIN, "UpdateCollaborator",
                                        for_update=True)
            current = await repo.get_collaborator(patch.dataset_id, patch.user)
            if current is None:
                raise NotFound("collaborator", patch.user)
            if patch.role != Role.ADMIN:
                await _keep_an_admin(repo, current, "demoted")
            updated = replace(current, role=patch.role, update_time=utcnow())
            await repo.put_collaborator(updated)
            return present(updated)

    async def remove_collaborator(self, dataset_id: str, user: str) -> None:
        async with self.db.write() as session:
            repo = DatasetRepository(session)
            await self._require_dataset(repo, dataset_id, Role.ADMIN, "RemoveCollaborator",
                                        for_update=True)
            current = await repo.get_collaborator(dataset_id, user)
            if current is None:
                raise NotFound("collaborator", user)
            await _keep_an_admin(repo, current, "removed")
            await repo.delete_collaborator(dataset_id, user)
