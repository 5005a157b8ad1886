"""Configuration, stubs and the small pure helpers of the client (framewise.client.aio)."""

from __future__ import annotations

import inspect
import re
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from typing import Any, TypeVar

from framewise.client import types as t
from framewise.client.config import ClientConfig, TlsConfig
from framewise.client.errors import FieldViolation, InvalidArgument, invalid
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2_grpc
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2_grpc

T = TypeVar("T")

_SAMPLE_INDEX = re.compile(r"^samples\[(\d+)\]")

STUBS: dict[str, Callable[[Any], Any]] = {
    "dataset": dataset_pb2_grpc.DatasetServiceStub,
    "labeling": labeling_pb2_grpc.LabelingServiceStub,
    "interpolation": interpolation_pb2_grpc.InterpolationServiceStub,
    "release": release_pb2_grpc.ReleaseServiceStub,
}

# What `add_samples` sends per BatchCreateSamples call (the server takes up to 10,000).
DEFAULT_BATCH_SIZE = 500

# Attributes for a label update: a dict, or a function of the current label (None when
# there is none yet) returning the new attributes (or, for AsyncClient, a coroutine
# function); it is called again on each retry.
LabelAttributes = (Mapping[str, Any]
                   | Callable[[t.Label | None], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]
                   | None)
# The callbacks a caller passes (`progress`, `on_poll`, `attributes`): functions, or for
# AsyncClient coroutine functions too. `Client` passes its callers' functions this way so
# they run in the caller's thread (framewise.client.sync).
CALLBACKS = ("attributes", "progress", "on_poll")


def make_config(config: ClientConfig | None, *, addresses: dict[str, str] | None,
                token: str | None, tls: TlsConfig | bool | None,
                timeout: float | None) -> ClientConfig:
    if config is not None:
        return config
    return ClientConfig.from_env(addresses=addresses, token=token, tls=tls,
                                 timeout=timeout)


async def chunks(items: Iterable[T] | AsyncIterable[T], size: int) -> AsyncIterator[list[T]]:
    """Lists of `size` items (the last one shorter) of an iterable or an async iterable."""
    if size < 1:
        raise invalid("batch_size", "must be at least 1")
    batch: list[T] = []
    async for item in _aiter(items):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _aiter(items: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


async def callback(function: Callable[..., Any], *args: Any) -> Any:
    """Calls one of the CALLBACKS: a function, or a coroutine function (awaited)."""
    result = function(*args)
    return await result if inspect.isawaitable(result) else result


async def new_attributes(attributes: LabelAttributes,
                         current: t.Label | None) -> Mapping[str, Any]:
    if callable(attributes):
        return await callback(attributes, current)
    if attributes is not None:
        return attributes
    if current is None:
        raise invalid("label.attributes_json", "no label to update; pass attributes")
    return current.attributes


def conflict_backoff(attempt: int) -> float:
    return min(0.05 * 2 ** attempt, 1.0)


def release_poll_interval(attempt: int) -> float:
    return min(0.1 * 1.5 ** attempt, 2.0)


def clone_sample(sample: t.Sample) -> t.NewSample:
    return t.NewSample(name=sample.name, attributes=sample.attributes,
                       metadata=sample.metadata, priority=sample.priority,
                       assigned_labeler=sample.assigned_labeler,
                       assigned_reviewer=sample.assigned_reviewer)


def dataset_copy_kwargs(source: t.Dataset, name: str,
                        description: str | None) -> dict[str, Any]:
    return {"name": name, "task_type": source.task_type,
            "description": source.description if description is None else description,
            "task_attributes": source.task_attributes, "settings": source.settings,
            "metadata": source.metadata}


def is_uuid_like(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4


def pick_by_name(datasets: Sequence[t.Dataset], name: str) -> t.Dataset | None:
    exact = [d for d in datasets if d.name == name]
    return exact[0] if exact else None


def reindex_batch_error(error: InvalidArgument, offset: int) -> InvalidArgument:
    """A batch's `samples[i]...` violations renamed to the caller's `samples[offset+i]`."""
    if not offset:
        return error

    def shift(field: str) -> str:
        match = _SAMPLE_INDEX.match(field)
        if not match:
            return field
        return f"samples[{int(match.group(1)) + offset}]{field[match.end():]}"

    return InvalidArgument(error.message, reason=error.reason, metadata=error.metadata,
                           field_violations=[FieldViolation(shift(v.field), v.description)
                                             for v in error.field_violations],
                           details=error.details)
