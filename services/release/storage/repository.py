"""Release rows in and out; no business rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.release.domain.models import Release, ReleaseStatus
from services.release.storage.tables import ReleaseRow


def _to_domain(row: ReleaseRow) -> Release:
    return Release(
        id=row.id, dataset_id=row.dataset_id, name=row.name, description=row.description,
        status=ReleaseStatus(row.status), created_by=row.created_by,
        create_time=row.create_time, dataset_revision=row.dataset_revision,
        label_revision=row.label_revision, failure_reason=row.failure_reason,
        sample_count=row.sample_count, file_size_bytes=row.file_size_bytes,
        content_sha256=row.content_sha256, complete_time=row.complete_time,
        snapshot=dict(row.snapshot), attempts=row.attempts,
    )


class ReleaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, release_id: str) -> Release | None:
        row = await self.session.get(ReleaseRow, release_id)
        return _to_domain(row) if row else None

    async def by_request_key(self, key: str) -> Release | None:
        row = (await self.session.execute(
            select(ReleaseRow).where(ReleaseRow.request_key == key))).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def name_taken(self, dataset_id: str, name: str) -> bool:
        found = await self.session.execute(select(ReleaseRow.id).where(
            ReleaseRow.dataset_id == dataset_id, ReleaseRow.name == name))
        return found.first() is not None

    async def add(self, release: Release, request_key: str | None, owner: str,
                  lease_until: datetime) -> None:
        self.session.add(ReleaseRow(
            id=release.id, dataset_id=release.dataset_id, name=release.name,
            description=release.description, status=release.status.value,
            failure_reason="", sample_count=0, file_size_bytes=0, content_sha256="",
            dataset_revision=release.dataset_revision, label_revision=release.label_revision,
            created_by=release.created_by, create_time=release.create_time,
            complete_time=None, snapshot=release.snapshot, request_key=request_key,
            attempts=1, lease_owner=owner, lease_until=lease_until,
        ))
        await self.session.flush()

    async def page(self, dataset_id: str, after: tuple[datetime, str] | None,
                   limit: int) -> list[Release]:
        """Newest first, keyset paging on (create_time, id)."""
        query = select(ReleaseRow).where(ReleaseRow.dataset_id == dataset_id)
        if after is not None:
            time, last_id = after
            query = query.where(or_(ReleaseRow.create_time < time,
                                    and_(ReleaseRow.create_time == time,
                                         ReleaseRow.id < last_id)))
        query = query.order_by(ReleaseRow.create_time.desc(), ReleaseRow.id.desc()).limit(limit)
        return [_to_domain(r) for r in (await self.session.execute(query)).scalars()]

    async def delete(self, release_id: str) -> bool:
        result = await self.session.execute(
            delete(ReleaseRow).where(ReleaseRow.id == release_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # builds
    async def claim(self, release_id: str, owner: str, now: datetime,
                    until: datetime) -> Release | None:
        """Takes the build of a PENDING release whose lease has expired (or is ours)."""
        result = await self.session.execute(
            update(ReleaseRow)
            .where(ReleaseRow.id == release_id,
                   ReleaseRow.status == ReleaseStatus.PENDING.value,
                   or_(ReleaseRow.lease_until.is_(None), ReleaseRow.lease_until < now,
                       ReleaseRow.lease_owner == owner))
            .values(lease_owner=owner, lease_until=until, attempts=ReleaseRow.attempts + 1)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        return await self.get(release_id)

    async def renew(self, release_id: str, owner: str, until: datetime) -> bool:
        result = await self.session.execute(
            update(ReleaseRow)
            .where(ReleaseRow.id == release_id, ReleaseRow.lease_owner == owner,
                   ReleaseRow.status == ReleaseStatus.PENDING.value)
            .values(lease_until=until))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def give_up_leases(self, owner: str) -> None:
        """Every PENDING release `owner` holds becomes free to take over at once."""
        await self.session.execute(
            update(ReleaseRow)
            .where(ReleaseRow.lease_owner == owner,
                   ReleaseRow.status == ReleaseStatus.PENDING.value)
            .values(lease_until=None, lease_owner=""))

    async def orphans(self, now: datetime) -> list[str]:
        """PENDING releases nobody is building (lease expired or given up)."""
        rows = await self.session.execute(
            select(ReleaseRow.id).where(
                ReleaseRow.status == ReleaseStatus.PENDING.value,
                or_(ReleaseRow.lease_until.is_(None), ReleaseRow.lease_until < now))
            .order_by(ReleaseRow.create_time))
        return list(rows.scalars())

    async def finish(self, release_id: str, owner: str, *, status: ReleaseStatus,
                     now: datetime, reason: str = "", sample_count: int = 0, size: int = 0,
                     sha256: str = "") -> bool:
        """Ends a PENDING build we hold (or any PENDING one when owner is empty)."""
        conditions = [ReleaseRow.id == release_id,
                      ReleaseRow.status == ReleaseStatus.PENDING.value]
        if owner:
            conditions.append(ReleaseRow.lease_owner == owner)
        result = await self.session.execute(
            update(ReleaseRow).where(*conditions).values(
                status=status.value, failure_reason=reason, sample_count=sample_count,
                file_size_bytes=size, content_sha256=sha256, complete_time=now,
                lease_until=None))
        return bool(result.rowcount)  # type: ignore[attr-defined]
