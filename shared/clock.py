"""Time as a dependency: code that expires, leases or times things takes a `Clock`, so a
test can move time on instead of sleeping through it.

`SYSTEM_CLOCK` is the real one and every default; a test passes its own (for instance
`tests.support.clock.FakeClock`). Only reading the time goes through it: waiting
(`asyncio.sleep`, deadlines of calls) stays real.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for intervals and expiry)."""
        ...

    def now(self) -> datetime:
        """The wall-clock time, timezone-aware in UTC (for timestamps and leases)."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK: Clock = SystemClock()
