"""A clock that moves only when a test moves it (see shared.clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._monotonic = 1000.0  # any origin: only differences mean something
        self._now = start or datetime.now(UTC)

    def monotonic(self) -> float:
        return self._monotonic

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "a clock does not go back"
        self._monotonic += seconds
        self._now += timedelta(seconds=seconds)
