"""How many CPUs this process may use: the pod's CPU quota, not the node's count.

`os.cpu_count()` is the node's CPUs; a container limited to 2 CPUs on a 64-CPU node that
sizes a worker pool from it runs 64 workers into CFS throttling. The quota is in the
cgroup: v2 `cpu.max` ("max 100000" or "200000 100000"), v1 `cpu.cfs_quota_us` over
`cpu.cfs_period_us`; the scheduler affinity mask bounds it too.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _quota_v2(root: Path) -> float | None:
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return int(quota) / int(period) if int(period) > 0 else None


def _quota_v1(root: Path) -> float | None:
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def available_cpus(root: Path = CGROUP) -> int:
    """The CPUs this process may use, at least 1: the cgroup quota (rounded up), bounded
    by the CPUs it may be scheduled on."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    quota = _quota_v2(root)
    if quota is None:
        quota = _quota_v1(root)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)
