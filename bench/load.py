"""Load benchmark: many concurrent labelers saving sequence labels while releases build,
against the same labelers saving with nothing else running, in the same run.

Starts the four services as subprocesses (tests/support/processes.py) on SQLite, and on
PostgreSQL when reachable (a fresh database per service), then per database:
- baseline: 32 labelers (collaborators with the labeler role, each assigned its own 4
  sequences of 50 frames) save their labels in turn, each save over the etag of their
  previous one, for BENCH_DURATION_S;
- under release: the same, while releases of the dataset are built one after the other;
a save answered UNAVAILABLE (a peer of the labeling service overloaded) is counted, and
its labeler backs off, reloads the label and goes on. Then checks that every
acknowledged save is stored as acknowledged (revision, etag, content) and that every
release holds exactly the saves acknowledged up to its label revision. Prints saves/s,
p50 and p99 per phase and ends with one JSON line (the ratio is saves/s under release
over the baseline's).

    .venv/bin/python -m bench.load     (or: make bench-load)

Sizes: BENCH_DURATION_S (10), BENCH_LOAD_LABELERS (32), BENCH_LOAD_SAMPLES (128),
BENCH_LOAD_FRAMES (50).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import emit  # noqa: E402
from tests.support.databases import postgres_reachable  # noqa: E402
from tests.support.load import Phase, Workload  # noqa: E402
from tests.support.processes import ProcessSuite, process_suite  # noqa: E402

DURATION_S = float(os.environ.get("BENCH_DURATION_S", "10"))
LABELERS = int(os.environ.get("BENCH_LOAD_LABELERS", "32"))
SAMPLES = int(os.environ.get("BENCH_LOAD_SAMPLES", "128"))
FRAMES = int(os.environ.get("BENCH_LOAD_FRAMES", "50"))
# As in tests/faults: a killed builder's release is taken over quickly; one formatter.
ENV = {"FRAMEWISE_RELEASE_LEASE_S": "10", "FRAMEWISE_RELEASE_FORMAT_WORKERS": "1"}


async def measure(suite: ProcessSuite) -> tuple[Phase, Phase, list[str]]:
    workload = await Workload.create(suite, "load", LABELERS, SAMPLES, FRAMES)
    await workload.phase(min(2.0, DURATION_S), with_releases=False)  # warm-up
    alone = await workload.phase(DURATION_S, with_releases=False)
    releasing = await workload.phase(DURATION_S, with_releases=True, name="bench")
    return alone, releasing, await workload.problems(releasing)


def run(kind: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as directory, \
            process_suite(kind, Path(directory), env=ENV) as suite:
        alone, releasing, problems = asyncio.run(measure(suite))
    print(f"{kind}: " + alone.line("alone"))
    print(f"{kind}: " + releasing.line("under release"))
    builds = sorted(releasing.release_s)
    if builds:
        print(f"{kind}: release builds (accept to SUCCEEDED) median "
              f"{builds[len(builds) // 2]:.2f} s")
    ratio = releasing.saves_per_s / alone.saves_per_s if alone.saves_per_s else 0.0
    print(f"{kind}: saves/s under release vs alone: {ratio:.2f}; "
          f"lost acknowledged saves or release mismatches: {len(problems)}")
    for problem in problems[:10]:
        print(f"  {problem}")
    return {
        f"saves_per_s_alone_{kind}": round(alone.saves_per_s, 1),
        f"p50_ms_alone_{kind}": round(alone.p50_ms, 1),
        f"p99_ms_alone_{kind}": round(alone.p99_ms, 1),
        f"saves_per_s_under_release_{kind}": round(releasing.saves_per_s, 1),
        f"p50_ms_under_release_{kind}": round(releasing.p50_ms, 1),
        f"p99_ms_under_release_{kind}": round(releasing.p99_ms, 1),
        f"ratio_under_release_vs_alone_{kind}": round(ratio, 3),
        f"releases_built_{kind}": len(releasing.releases),
        f"unavailable_saves_{kind}": alone.unavailable + releasing.unavailable,
        f"problems_{kind}": len(problems),
    }


def main() -> None:
    print(f"{LABELERS} labelers on {SAMPLES} sequences of {FRAMES} frames, "
          f"{DURATION_S:.0f} s per phase")
    figures: dict[str, Any] = {"labelers": LABELERS}
    figures.update(run("sqlite"))
    if asyncio.run(postgres_reachable()):
        figures.update(run("postgres"))
    else:
        print("PostgreSQL not reachable: skipped")
    figures["lost_acknowledged_saves"] = sum(
        v for k, v in figures.items() if k.startswith("problems_"))
    emit(figures)


if __name__ == "__main__":
    main()
