"""Trace ids do not depend on, nor disturb, the process-wide `random` module."""

from __future__ import annotations

import random

from opentelemetry.sdk.trace import TracerProvider

from shared.tracing import PrivateRandomIds


def trace_ids_after_seeding(provider: TracerProvider) -> list[int]:
    random.seed(0)
    tracer = provider.get_tracer("test")
    return [tracer.start_span("x").get_span_context().trace_id for _ in range(3)]


def test_seeding_random_does_not_repeat_trace_ids() -> None:
    first = trace_ids_after_seeding(TracerProvider(id_generator=PrivateRandomIds()))
    second = trace_ids_after_seeding(TracerProvider(id_generator=PrivateRandomIds()))
    assert len(set(first + second)) == 6


def test_making_ids_leaves_the_random_module_alone() -> None:
    ids = PrivateRandomIds()
    random.seed(1)
    before = random.getstate()
    assert all(ids.generate_trace_id() and ids.generate_span_id() for _ in range(100))
    assert random.getstate() == before
