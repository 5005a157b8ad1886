"""Queries of the labeling service, inside a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Result,
    Select,
    Text,
    and_,
    cast,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.labeling.domain.models import OPEN_STATUSES, Assignment, Label, LabelStatus
from services.labeling.storage import codec
from services.labeling.storage.tables import HoldRow, LabelRow, RevisionCounter, TrackCounterRow
from shared.db.revisions import current_revision

_CURRENT = LabelRow.superseded_revision.is_(None)
_NO_SYNC = {"synchronize_session": False}


class Conflict(Exception):
    """Another transaction changed the row first (lost a race on a unique key or a CAS)."""


def _visible_at(revision: int) -> ColumnElement[bool]:
    """Label rows valid at `revision`."""
    return and_(
        LabelRow.revision <= revision,
        or_(LabelRow.superseded_revision.is_(None), LabelRow.superseded_revision > revision),
    )


def _key(sample_id: str, label_set: str) -> ColumnElement[bool]:
    return and_(LabelRow.sample_id == sample_id, LabelRow.label_set == label_set)


def _labels() -> Select[LabelRow, str]:
    """Label rows with their document as text, parsed row by row (codec): a document
    Python cannot parse (PostgreSQL keeps integers of any length) degrades its label,
    instead of failing the whole read inside the driver."""
    return select(LabelRow, cast(LabelRow.attributes, Text)).options(defer(LabelRow.attributes))


def _read(result: Result[LabelRow, str]) -> list[Label]:
    return [codec.label_from_row(row, document) for row, document in result.all()]


class LabelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # revisions
    async def current_revision(self) -> int:
        return await current_revision(self.session, RevisionCounter)

    # labels
    async def current_label(self, sample_id: str, label_set: str) -> Label | None:
        """The current row, a deletion marker included."""
        query = _labels().where(_key(sample_id, label_set), _CURRENT)
        found = _read(await self.session.execute(query))
        return found[0] if found else None

    async def label_at(self, sample_id: str, label_set: str, revision: int) -> Label | None:
        query = _labels().where(_key(sample_id, label_set), _visible_at(revision))
        found = _read(await self.session.execute(query))
        return found[0] if found else None

    async def list_current(self, dataset_id: str, label_set: str, status: LabelStatus | None,
                           after: str, limit: int) -> list[Label]:
        query = _labels().where(
            LabelRow.dataset_id == dataset_id, LabelRow.label_set == label_set, _CURRENT,
            LabelRow.deleted.is_(False), LabelRow.sample_id > after,
        )
        if status is not None:
            query = query.where(LabelRow.status == status.value)
        return _read(await self.session.execute(query.order_by(LabelRow.sample_id).limit(limit)))

    async def list_as_of(self, dataset_id: str, label_set: str, revision: int, after: str,
                         limit: int) -> list[Label]:
        query = (
            _labels()
            .where(LabelRow.dataset_id == dataset_id, LabelRow.label_set == label_set,
                   _visible_at(revision), LabelRow.deleted.is_(False),
                   LabelRow.sample_id > after)
            .order_by(LabelRow.sample_id)
            .limit(limit)
        )
        return _read(await self.session.execute(query))

    async def list_revisions(self, sample_id: str, label_set: str, before: int,
                             limit: int) -> list[Label]:
        query = _labels().where(_key(sample_id, label_set))
        if before:
            query = query.where(LabelRow.revision < before)
        return _read(await self.session.execute(
            query.order_by(LabelRow.revision.desc()).limit(limit)))

    async def labeled_samples(self, sample_ids: Sequence[str], label_set: str) -> set[str]:
        """Of `sample_ids`, those whose current label no longer needs a labeler."""
        if not sample_ids:
            return set()
        query = select(LabelRow.sample_id).where(
            LabelRow.sample_id.in_(sample_ids), LabelRow.label_set == label_set, _CURRENT,
            LabelRow.deleted.is_(False), LabelRow.status.not_in([s.value for s in OPEN_STATUSES]),
        )
        return set((await self.session.execute(query)).scalars())

    # holds
    async def get_hold(self, sample_id: str, label_set: str) -> Assignment | None:
        row = await self.session.get(HoldRow, (sample_id, label_set))
        return None if row is None else codec.assignment_from_row(row)

    async def held_samples(self, sample_ids: Sequence[str], label_set: str) -> set[str]:
        if not sample_ids:
            return set()
        query = select(HoldRow.sample_id).where(HoldRow.sample_id.in_(sample_ids),
                                                HoldRow.label_set == label_set)
        return set((await self.session.execute(query)).scalars())

    async def holds_of(self, dataset_id: str, labeler: str, label_set: str) -> list[Assignment]:
        query = select(HoldRow).where(HoldRow.dataset_id == dataset_id,
                                      HoldRow.labeler == labeler, HoldRow.label_set == label_set)
        rows = await self.session.execute(query.order_by(HoldRow.assign_time))
        return [codec.assignment_from_row(r) for r in rows.scalars()]

    async def add_hold(self, hold: Assignment) -> None:
        """Inserts a hold; Conflict when somebody holds the sample already."""
        try:
            await self.session.execute(insert(HoldRow).values(
                sample_id=hold.sample_id, label_set=hold.label_set, dataset_id=hold.dataset_id,
                labeler=hold.labeler, assign_time=hold.assign_time,
            ))
        except IntegrityError as exc:
            raise Conflict() from exc

    async def replace_hold(self, hold: Assignment) -> None:
        await self.delete_hold(hold.sample_id, hold.label_set)
        await self.add_hold(hold)

    async def delete_hold(self, sample_id: str, label_set: str) -> None:
        await self.session.execute(
            delete(HoldRow).where(HoldRow.sample_id == sample_id, HoldRow.label_set == label_set)
            .execution_options(**_NO_SYNC)
        )

    # track ids
    async def reserve_track_ids(self, sample_id: str, label_set: str, floor: int,
                                count: int, ceiling: int) -> int | None:
        """Reserves `count` ids from max(counter, floor); returns the first, or None (and
        reserves nothing) when the last would pass `ceiling`. Locks the row."""
        query = (select(TrackCounterRow.next_id)
                 .where(TrackCounterRow.sample_id == sample_id,
                        TrackCounterRow.label_set == label_set)
                 .with_for_update())
        current = (await self.session.execute(query)).scalar_one_or_none()
        first = max(floor, current or 1)
        # The counter then holds first + count: it stays within the 32-bit column too.
        if first + count > ceiling:
            return None
        if current is None:
            try:
                await self.session.execute(insert(TrackCounterRow).values(
                    sample_id=sample_id, label_set=label_set, next_id=first + count))
            except IntegrityError as exc:
                raise Conflict() from exc
        else:
            await self.session.execute(
                update(TrackCounterRow)
                .where(TrackCounterRow.sample_id == sample_id,
                       TrackCounterRow.label_set == label_set)
                .values(next_id=first + count)
                .execution_options(**_NO_SYNC)
            )
        return first
