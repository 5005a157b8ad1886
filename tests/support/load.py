"""A load scenario over a ProcessSuite: many labelers saving sequence labels, with or
without releases building at the same time. Used by tests/faults/test_load.py (a few
seconds) and bench/load.py (longer, with a baseline)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from framewise.release.v1 import release_pb2 as rpb
from tests.support import labelers as lab
from tests.support import releases
from tests.support.processes import ProcessSuite
from tests.support.waiting import wait_until_async


@dataclass
class Phase:
    """What one phase measured."""

    saves: int
    seconds: float
    p50_ms: float
    p99_ms: float
    unavailable: int  # saves answered UNAVAILABLE (retried by the labeler after a reload)
    releases: list[rpb.Release] = field(default_factory=list)
    release_s: list[float] = field(default_factory=list)  # each build, accept to done

    @property
    def saves_per_s(self) -> float:
        return self.saves / self.seconds if self.seconds else 0.0

    def line(self, name: str) -> str:
        built = (f", {len(self.releases)} releases built meanwhile" if self.releases else "")
        if self.unavailable:
            built += f", {self.unavailable} saves answered UNAVAILABLE"
        return (f"{name:<14} {self.saves:6d} saves in {self.seconds:5.1f} s = "
                f"{self.saves_per_s:7.1f}/s  p50 {self.p50_ms:6.1f} ms  "
                f"p99 {self.p99_ms:6.1f} ms{built}")


@dataclass
class Workload:
    suite: ProcessSuite
    dataset_id: str
    labelers: list[lab.Labeler]

    @classmethod
    async def create(cls, suite: ProcessSuite, name: str, labelers: int, samples: int,
                     frames: int) -> Workload:
        async with suite.channel("dataset") as datasets, \
                suite.channel("labeling") as labeling:
            dataset, created = await lab.create_sequence_dataset(datasets, name, samples,
                                                                 frames)
            team = await lab.add_labelers(datasets, labeling, dataset, created, labelers,
                                          frames)
        return cls(suite, dataset.id, team)

    async def phase(self, seconds: float, with_releases: bool, name: str = "") -> Phase:
        """Every labeler saves for `seconds`; with_releases: releases are created one after
        the other meanwhile (at least one; the phase waits for the last to be built)."""
        for labeler in self.labelers:
            labeler.latencies_ms = []
        before = sum(labeler.saves for labeler in self.labelers)
        refused = sum(labeler.unavailable for labeler in self.labelers)
        built: list[rpb.Release] = []
        build_s: list[float] = []
        async with self.suite.channel("labeling") as labeling, \
                self.suite.channel("release") as release_channel:
            saving = asyncio.create_task(lab.run_for(self.labelers, labeling, seconds))

            async def release_loop() -> None:
                while True:
                    started = time.perf_counter()
                    created = await releases.create(release_channel, self.dataset_id,
                                                    f"{name or 'load'}-{len(built) + 1}")
                    built.append(await releases.wait_done(release_channel, created.id))
                    build_s.append(time.perf_counter() - started)
                    if saving.done():
                        return

            if with_releases:
                # A few saves before the first release (one per labeler), not a guessed nap.
                await wait_until_async(
                    lambda: saving.done() or sum(labeler.saves for labeler in self.labelers)
                    - before >= len(self.labelers), "the labelers saved before a release",
                    timeout_s=max(30.0, seconds))
                await release_loop()
            elapsed = await saving
        latencies = [ms for labeler in self.labelers for ms in labeler.latencies_ms]
        return Phase(sum(labeler.saves for labeler in self.labelers) - before, elapsed,
                     lab.percentile(latencies, 0.5), lab.percentile(latencies, 0.99),
                     sum(labeler.unavailable for labeler in self.labelers) - refused,
                     built, build_s)

    async def problems(self, phase: Phase) -> list[str]:
        """Lost acknowledged saves, and releases that are not whole or not exactly the
        acknowledged saves as of their label revision."""
        async with self.suite.channel("labeling") as labeling, \
                self.suite.channel("release") as release_channel:
            found = await lab.lost_saves(self.labelers, labeling)
            for release in phase.releases:
                if release.status != rpb.RELEASE_STATUS_SUCCEEDED:
                    found.append(f"release {release.name}: {release.failure_reason}")
                    continue
                document = await releases.complete_file(release_channel, release)
                found += [f"release {release.name}: {problem}" for problem in
                          lab.release_problems(document, self.labelers,
                                               release.label_revision)]
        return found
