"""A service-wide change counter that only grows, in commit order.

Each write transaction takes the next value by updating a single counter row. The row
lock is held until commit, so a transaction with a higher revision always commits after
every lower one: "everything as of revision N" never gains a late straggler below N.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

COUNTER_ROW_ID = 1


class RevisionCounterMixin:
    """Mix into a service's declarative base: `class RevisionCounter(RevisionCounterMixin, Base)`.

    The initial migration inserts the single row (id 1, value 0).
    """

    __tablename__ = "revision_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


async def next_revision(session: AsyncSession, counter: type) -> int:
    """Takes the next revision inside the caller's write transaction."""
    result = await session.execute(
        update(counter)
        .where(counter.id == COUNTER_ROW_ID)  # type: ignore[attr-defined]
        .values(value=counter.value + 1)  # type: ignore[attr-defined]
        .returning(counter.value)  # type: ignore[attr-defined]
    )
    return int(result.scalar_one())


async def current_revision(session: AsyncSession, counter: type) -> int:
    """The newest committed revision."""
    result = await session.execute(
        select(counter.value).where(counter.id == COUNTER_ROW_ID)  # type: ignore[attr-defined]
    )
    return int(result.scalar_one_or_none() or 0)
