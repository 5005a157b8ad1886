"""PostgreSQL only: constants of the one-call append (migrations 0002 and 0003)."""

from __future__ import annotations

# Replace whatever is current (a save without an etag).
ANY_PREVIOUS = -1
