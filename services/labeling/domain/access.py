"""Who may change which label: the rules of the collaborator roles (README, access table).

Reading needs the viewer role, which the dataset service checks for us (it answers
NOT_FOUND for a dataset or sample the caller cannot see). Writing is decided here.
"""

from __future__ import annotations

from services.labeling.domain.models import Assignment, LabelStatus, SampleInfo
from shared.errors import PermissionDenied
from shared.roles import Role, require

# What each role may set a label's status to (a manager may set any).
LABELER_STATUSES = frozenset({LabelStatus.LABELED, LabelStatus.SKIPPED})
REVIEWER_STATUSES = LABELER_STATUSES | {
    LabelStatus.REVIEWING_IN_PROGRESS, LabelStatus.REVIEWED, LabelStatus.REJECTED}


def check_save(role: int, caller: str, sample: SampleInfo, hold: Assignment | None,
               status: LabelStatus) -> None:
    """A labeler saves only samples it holds or is assigned, as LABELED or SKIPPED; a
    reviewer also reviews; a manager may do anything."""
    require(role, Role.LABELER, sample.dataset_id, "SaveLabel")
    if role >= Role.MANAGER:
        return
    allowed = REVIEWER_STATUSES if role >= Role.REVIEWER else LABELER_STATUSES
    if status not in allowed:
        raise PermissionDenied(
            f"a {Role(role).name.lower()} may set the status to "
            f"{sorted(s.value for s in allowed)}, not {status.value!r}",
            reason="STATUS_NOT_ALLOWED", metadata={"status": status.value})
    holds = hold is not None and hold.labeler == caller
    if role == Role.LABELER and not holds and sample.assigned_labeler != caller:
        raise PermissionDenied(
            f"a labeler saves only samples it holds or is assigned; claim {sample.id!r} "
            "with ClaimNextSample or ask a manager to assign it", reason="NOT_HOLDER")
