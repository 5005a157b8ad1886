"""Collaborator roles, ordered: each can do what the ones below it can (same numbers as
framewise.dataset.v1.Role)."""

from __future__ import annotations

from enum import IntEnum

from shared.errors import NotFound, PermissionDenied


class Role(IntEnum):
    VIEWER = 1
    LABELER = 2
    REVIEWER = 3
    MANAGER = 4
    ADMIN = 5


def require(role: Role | int | None, needed: Role, dataset_id: str, action: str) -> None:
    """NOT_FOUND when the caller has no role (the dataset's existence is not revealed),
    PERMISSION_DENIED when the role is below `needed`."""
    if not role:
        raise NotFound("dataset", dataset_id)
    if role < needed:
        raise PermissionDenied(
            f"{action} needs the {needed.name.lower()} role on the dataset; you are "
            f"{Role(role).name.lower()}", reason="ROLE_REQUIRED",
            metadata={"required_role": needed.name, "role": Role(role).name})
