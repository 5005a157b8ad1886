"""Queries of the dataset service, inside a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.dataset.domain.models import Collaborator, Dataset, LabelSet, Role, Sample
from services.dataset.storage import codec
from services.dataset.storage.tables import (
    CollaboratorRow,
    DatasetRow,
    LabelSetRow,
    RequestRow,
    RevisionCounter,
    SampleRow,
)
from shared.db.revisions import current_revision, next_revision
from shared.db.types import utcnow
from shared.errors import InvalidArgument

SAMPLE_ORDER_COLUMNS = {
    "name": SampleRow.name,
    "create_time": SampleRow.create_time,
    "priority": SampleRow.priority,
}


@dataclass(frozen=True)
class SampleQuery:
    dataset_id: str
    as_of: int
    order_by: str = "create_time"
    descending: bool = False
    name_contains: str = ""
    metadata_equals: dict[str, Any] | None = None
    assigned_labeler: str = ""


def _visible_at(revision: int) -> ColumnElement[bool]:
    """Sample rows valid at `revision`."""
    return and_(
        SampleRow.revision <= revision,
        or_(SampleRow.superseded_revision.is_(None), SampleRow.superseded_revision > revision),
    )


_CURRENT = SampleRow.superseded_revision.is_(None)


def _metadata_condition(key: str, value: Any) -> ColumnElement[bool]:
    element = SampleRow.metadata_[key]
    if isinstance(value, bool):
        return cast(ColumnElement[bool], element.as_boolean() == value)
    if isinstance(value, int):
        return cast(ColumnElement[bool], element.as_integer() == value)
    if isinstance(value, float):
        return cast(ColumnElement[bool], element.as_float() == value)
    if isinstance(value, str):
        return cast(ColumnElement[bool], element.as_string() == value)
    raise InvalidArgument.of(f"metadata_filter_json.{key}",
                             "only strings, numbers and booleans can be matched")


def _after(column: Any, key: Any, last_id: str, descending: bool) -> ColumnElement[bool]:
    """Keyset paging: rows strictly after (key, id) in the listing's order."""
    if descending:
        return or_(column < key, and_(column == key, SampleRow.id < last_id))
    return or_(column > key, and_(column == key, SampleRow.id > last_id))


class DatasetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # revisions and idempotency
    async def next_revision(self) -> int:
        return await next_revision(self.session, RevisionCounter)

    async def current_revision(self) -> int:
        return await current_revision(self.session, RevisionCounter)

    async def find_request(self, key: str) -> list[str] | None:
        row = await self.session.get(RequestRow, key)
        return None if row is None else list(row.resource_ids)

    async def save_request(self, key: str, resource_ids: list[str]) -> None:
        self.session.add(RequestRow(key=key, resource_ids=resource_ids, create_time=utcnow()))

    # datasets
    async def add_dataset(self, dataset: Dataset) -> None:
        await self.session.execute(insert(DatasetRow), [codec.dataset_to_row_values(dataset)])

    async def dataset_name_taken(self, owner: str, name: str, except_id: str = "") -> bool:
        query = select(DatasetRow.id).where(DatasetRow.owner == owner, DatasetRow.name == name)
        if except_id:
            query = query.where(DatasetRow.id != except_id)
        return (await self.session.execute(query.limit(1))).first() is not None

    async def get_dataset(self, dataset_id: str, *, for_update: bool = False) -> Dataset | None:
        query = select(DatasetRow).where(DatasetRow.id == dataset_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else codec.dataset_from_row(row)

    async def role_of(self, dataset_id: str, user: str) -> int | None:
        """The user's role on the dataset, None when they have none (or it is gone)."""
        query = select(CollaboratorRow.role).where(CollaboratorRow.dataset_id == dataset_id,
                                                   CollaboratorRow.user == user)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list_datasets(self, *, visible_to: str, owner: str, name_contains: str,
                            task_type: str, after: tuple[datetime, str] | None,
                            limit: int) -> list[Dataset]:
        query = select(DatasetRow, CollaboratorRow.role).join(
            CollaboratorRow, and_(CollaboratorRow.dataset_id == DatasetRow.id,
                                  CollaboratorRow.user == visible_to))
        if owner:
            query = query.where(DatasetRow.owner == owner)
        if name_contains:
            query = query.where(DatasetRow.name.contains(name_contains, autoescape=True))
        if task_type:
            query = query.where(DatasetRow.task_type == task_type)
        if after is not None:
            time_key, last_id = after
            query = query.where(
                or_(DatasetRow.create_time < time_key,
                    and_(DatasetRow.create_time == time_key, DatasetRow.id < last_id))
            )
        query = query.order_by(DatasetRow.create_time.desc(), DatasetRow.id.desc()).limit(limit)
        found = []
        for row, role in await self.session.execute(query):
            dataset = codec.dataset_from_row(row)
            dataset.caller_role = role
            found.append(dataset)
        return found

    async def save_dataset(self, dataset: Dataset) -> None:
        values = codec.dataset_to_row_values(dataset)
        await self.session.execute(
            update(DatasetRow).where(DatasetRow.id == dataset.id).values(**values)
        )

    async def delete_dataset(self, dataset_id: str) -> None:
        # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON, and
        # this keeps the behaviour identical on both databases.
        for table in (SampleRow, LabelSetRow, CollaboratorRow):
            await self.session.execute(delete(table).where(table.dataset_id == dataset_id))
        await self.session.execute(delete(DatasetRow).where(DatasetRow.id == dataset_id))

    async def count_samples(self, dataset_ids: Sequence[str]) -> dict[str, int]:
        if not dataset_ids:
            return {}
        query = (
            select(SampleRow.dataset_id, func.count())
            .where(SampleRow.dataset_id.in_(dataset_ids), _CURRENT)
            .group_by(SampleRow.dataset_id)
        )
        return {dataset_id: count for dataset_id, count in await self.session.execute(query)}

    # samples
    async def taken_sample_names(self, dataset_id: str, names: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for start in range(0, len(names), 1000):
            query = select(SampleRow.name).where(
                SampleRow.dataset_id == dataset_id, _CURRENT,
                SampleRow.name.in_(names[start:start + 1000]),
            )
            taken.update((await self.session.execute(query)).scalars())
        return taken

    async def add_samples(self, samples: Sequence[Sample]) -> None:
        try:
            await self.session.execute(
                insert(SampleRow), [codec.sample_to_row_values(s) for s in samples]
            )
        except IntegrityError as exc:
            raise InvalidArgument.of("sample.name", "a sample with this name exists") from exc

    async def get_sample(self, sample_id: str, *, as_of: int = 0,
                         for_update: bool = False) -> Sample | None:
        query = select(SampleRow).where(SampleRow.id == sample_id)
        query = query.where(_visible_at(as_of) if as_of else _CURRENT)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else codec.sample_from_row(row)

    async def replace_sample(self, sample: Sample, old_revision: int) -> None:
        """Ends the current version of the sample and inserts `sample` as its next one."""
        await self.supersede_sample(sample.id, old_revision, sample.revision)
        await self.add_samples([sample])

    async def supersede_sample(self, sample_id: str, old_revision: int, revision: int) -> None:
        await self.session.execute(
            update(SampleRow)
            .where(SampleRow.id == sample_id, SampleRow.revision == old_revision)
            .values(superseded_revision=revision)
        )

    async def list_samples(self, query_spec: SampleQuery, after: tuple[Any, str] | None,
                           limit: int) -> list[Sample]:
        column = SAMPLE_ORDER_COLUMNS[query_spec.order_by]
        query = select(SampleRow).where(
            SampleRow.dataset_id == query_spec.dataset_id, _visible_at(query_spec.as_of)
        )
        if query_spec.name_contains:
            query = query.where(SampleRow.name.contains(query_spec.name_contains, autoescape=True))
        if query_spec.assigned_labeler:
            query = query.where(SampleRow.assigned_labeler == query_spec.assigned_labeler)
        for key, value in (query_spec.metadata_equals or {}).items():
            query = query.where(_metadata_condition(key, value))
        if after is not None:
            query = query.where(_after(column, after[0], after[1], query_spec.descending))
        if query_spec.descending:
            query = query.order_by(column.desc(), SampleRow.id.desc())
        else:
            query = query.order_by(column.asc(), SampleRow.id.asc())
        rows = (await self.session.execute(query.limit(limit))).scalars().all()
        return [codec.sample_from_row(r) for r in rows]

    # label sets
    async def add_label_set(self, label_set: LabelSet) -> None:
        self.session.add(LabelSetRow(
            dataset_id=label_set.dataset_id, name=label_set.name,
            description=label_set.description, is_default=label_set.is_default,
            create_time=label_set.create_time,
        ))
        await self.session.flush()

    async def get_label_set(self, dataset_id: str, name: str) -> LabelSet | None:
        row = await self.session.get(LabelSetRow, (dataset_id, name))
        return None if row is None else codec.label_set_from_row(row)

    async def list_label_sets(self, dataset_id: str, after: str, limit: int) -> list[LabelSet]:
        query = select(LabelSetRow).where(LabelSetRow.dataset_id == dataset_id)
        if after:
            query = query.where(LabelSetRow.name > after)
        rows = (await self.session.execute(query.order_by(LabelSetRow.name).limit(limit))).scalars()
        return [codec.label_set_from_row(r) for r in rows]

    async def delete_label_set(self, dataset_id: str, name: str) -> None:
        await self.session.execute(
            delete(LabelSetRow).where(LabelSetRow.dataset_id == dataset_id,
                                      LabelSetRow.name == name)
        )

    # collaborators
    async def get_collaborator(self, dataset_id: str, user: str) -> Collaborator | None:
        row = await self.session.get(CollaboratorRow, (dataset_id, user))
        return None if row is None else codec.collaborator_from_row(row)

    async def put_collaborator(self, collaborator: Collaborator) -> None:
        await self.session.merge(CollaboratorRow(
            dataset_id=collaborator.dataset_id, user=collaborator.user,
            role=int(collaborator.role), create_time=collaborator.create_time,
            update_time=collaborator.update_time,
        ))
        await self.session.flush()

    async def list_collaborators(self, dataset_id: str, after: str,
                                 limit: int) -> list[Collaborator]:
        query = select(CollaboratorRow).where(CollaboratorRow.dataset_id == dataset_id)
        if after:
            query = query.where(CollaboratorRow.user > after)
        rows = (await self.session.execute(
            query.order_by(CollaboratorRow.user).limit(limit))).scalars()
        return [codec.collaborator_from_row(r) for r in rows]

    async def count_admins(self, dataset_id: str) -> int:
        return int((await self.session.execute(
            select(func.count()).select_from(CollaboratorRow).where(
                CollaboratorRow.dataset_id == dataset_id,
                CollaboratorRow.role == int(Role.ADMIN)))).scalar_one())

    async def delete_collaborator(self, dataset_id: str, user: str) -> None:
        await self.session.execute(
            delete(CollaboratorRow).where(CollaboratorRow.dataset_id == dataset_id,
                                          CollaboratorRow.user == user)
        )
