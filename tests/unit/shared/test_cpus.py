"""Worker counts follow the pod's CPU quota (cgroup), not the node's CPU count."""

from __future__ import annotations

import os
from pathlib import Path

from shared.cpus import available_cpus

NODE = len(os.sched_getaffinity(0))


def test_a_cgroup_v2_quota_bounds_the_count(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs
    assert available_cpus(tmp_path) == min(NODE, 2)
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU: still one worker
    assert available_cpus(tmp_path) == 1


def test_no_quota_is_the_cpus_the_process_may_run_on(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert available_cpus(tmp_path) == NODE
    assert available_cpus(tmp_path / "absent") == NODE


def test_a_cgroup_v1_quota_bounds_the_count(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert available_cpus(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # unlimited
    assert available_cpus(tmp_path) == NODE
