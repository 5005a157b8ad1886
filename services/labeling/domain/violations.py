"""A Violations collector with a cap, so a huge bad document costs bounded work."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import FieldViolation, InvalidArgument, Violations
from shared.limits import MAX_VIOLATIONS
from shared.text import printable


@dataclass
class CappedViolations(Violations):
    cap: int = MAX_VIOLATIONS
    dropped: int = 0

    def add(self, field_path: str, description: str) -> None:
        if len(self.items) < self.cap:
            super().add(printable(field_path), printable(description))
        else:
            self.dropped += 1

    @property
    def full(self) -> bool:
        return len(self.items) >= self.cap

    def raise_if_any(self) -> None:
        if not self.items:
            return
        items = list(self.items)
        if self.dropped:
            items.append(FieldViolation("label.attributes_json",
                                        f"... and {self.dropped} more violations"))
        raise InvalidArgument(items)
