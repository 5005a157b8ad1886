"""The suite as OS processes, once per database kind for every fault test (starting four
Python processes costs seconds); each test gets it with every service running."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import ProcessSuite, process_suite

# A release whose builder was killed is taken over quickly (its lease runs out after 2 s);
# one process formats sequence frames (two cores, shared with the clients).
ENV = {"FRAMEWISE_RELEASE_LEASE_S": "2", "FRAMEWISE_RELEASE_FORMAT_WORKERS": "1"}


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def processes(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessSuite]:
    with process_suite(request.param, tmp_path_factory.mktemp(f"faults-{request.param}"),
                       env=ENV) as suite:
        yield suite


@pytest.fixture
def suite(processes: ProcessSuite) -> ProcessSuite:
    processes.ensure_running()
    return processes
