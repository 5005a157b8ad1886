"""Optimistic concurrency and partial updates, the same in every service: an etag check
that turns a stale write into ABORTED (never a silent overwrite), and the check of an
Update's field mask against the paths a resource lets a caller change."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import Aborted, InvalidArgument

# Every mask is the request's `update_mask` field: the violation names it.
MASK_FIELD = "update_mask"


def stale(resource: str, sent: str, current: str) -> Aborted:
    """ABORTED for a write whose etag `sent` is no longer the resource's (`current`, ""
    when it is gone or unknown); the current etag rides along so a client can re-read."""
    return Aborted(f"the {resource} changed since it was read (etag {sent!r}, now "
                   f"{current or 'none'!r}); read it again and retry",
                   metadata={"current_etag": current})


def check_etag(sent: str, current: str, resource: str) -> None:
    """No etag sent: a deliberate overwrite. Else it must be the current one."""
    if sent and sent != current:
        raise stale(resource, sent, current)


def mask_paths(mask: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """The paths an update changes: those of `mask` (all of `allowed` for `*`). An empty
    mask or a path outside `allowed` is INVALID_ARGUMENT naming `update_mask`."""
    if not mask:
        raise InvalidArgument.of(MASK_FIELD, f"required: paths among {list(allowed)}, or '*'")
    if list(mask) == ["*"]:
        return list(allowed)
    unknown = [p for p in mask if p not in allowed]
    if unknown:
        raise InvalidArgument.of(MASK_FIELD, f"cannot update {unknown}; "
                                             f"paths among {list(allowed)}")
    return list(mask)


def mask_touches(mask: Sequence[str], path: str) -> bool:
    """Whether an update with `mask` (unchecked yet) may change `path`: converters parse
    a costly field only then."""
    return path in mask or list(mask) == ["*"]
