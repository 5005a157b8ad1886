"""Load, briefly: 24 labelers saving sequence labels on their own samples while a release
builds. No acknowledged save is lost, and the release holds exactly the saves
acknowledged up to its label revision. Prints its figures (`pytest -s`); the longer form
with a baseline is `make bench-load`."""

from __future__ import annotations

from tests.support.load import Workload
from tests.support.processes import ProcessSuite

LABELERS = 24
SAMPLES = 48
FRAMES = 30
SECONDS = 3.0


async def test_concurrent_labelers_lose_no_save_while_a_release_builds(suite: ProcessSuite):
    workload = await Workload.create(suite, "load", LABELERS, SAMPLES, FRAMES)
    phase = await workload.phase(SECONDS, with_releases=True)
    print(f"\n{LABELERS} labelers: " + phase.line("with releases"))
    assert phase.saves >= LABELERS and phase.releases
    assert await workload.problems(phase) == []
