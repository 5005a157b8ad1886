"""The dataset service as the labeling service sees it: a small gRPC client with a cache.

Saves are hot, datasets and samples change rarely: answers are cached for a few seconds
(bounded in size), so a burst of saves on a sample costs one call to the dataset service.
NOT_FOUND is never cached, so a deleted sample or dataset is refused at most `ttl_s`
after its deletion. Every call has a deadline; the dataset service being down is
UNAVAILABLE to our caller, quickly.

A sample read more than `ttl_s` ago is still used when the dataset service has changed
nothing at all since (its revision, in the dataset read every `ttl_s`, is the one read
before the sample): what the sample says is then as fresh as that dataset read. So a
sample saved again and again costs one GetDataset per `ttl_s` for its whole dataset
instead of one GetSample each.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import grpc
from google.protobuf import json_format

from framewise.dataset.v1 import dataset_pb2, dataset_pb2_grpc
from services.labeling.domain.models import DatasetInfo, SampleInfo, Sensor
from shared.clock import SYSTEM_CLOCK, Clock
from shared.identity import current_caller
from shared.peers import translate
from shared.proto_enums import from_proto, task_type_from_proto
from shared.task_attributes import AttributeDefinition, Category, InputType, TaskAttributes
from shared.task_types import TaskType

DEFAULT_TTL_S = float(os.environ.get("FRAMEWISE_LABELING_CACHE_TTL_S", "2"))
DEFAULT_DEADLINE_S = 2.0
MAX_ENTRIES = 10_000
# How long a sample read stays around to be confirmed by its dataset's revision.
SAMPLE_KEEP_S = 600.0

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """A bounded LRU map whose entries expire; concurrent misses share one fetch."""

    def __init__(self, ttl_s: float, max_entries: int = MAX_ENTRIES,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._inflight: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        now = self.clock.monotonic()
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
            del self._entries[key]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(value)
        if self.ttl_s > 0:
            self._entries[key] = (self.clock.monotonic() + self.ttl_s, value)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)


@dataclass(frozen=True)
class _DatasetRead:
    info: DatasetInfo
    sent: float  # clock.monotonic() when the request left: the read happened after


@dataclass(frozen=True)
class _SampleRead:
    info: SampleInfo
    received: float  # clock.monotonic() when the answer came: the read happened before
    # The dataset's revision in a dataset read finished before this sample was read
    # (0: none): while the dataset reads still say it, the sample is unchanged.
    revision_before: int


class DatasetClient:
    def __init__(self, channel: grpc.aio.Channel, *, ttl_s: float = DEFAULT_TTL_S,
                 deadline_s: float = DEFAULT_DEADLINE_S, clock: Clock = SYSTEM_CLOCK) -> None:
        self.stub = dataset_pb2_grpc.DatasetServiceStub(channel)
        self.ttl_s = ttl_s
        self.deadline_s = deadline_s
        self.clock = clock
        self._datasets: TTLCache[tuple[str, str], _DatasetRead] = TTLCache(ttl_s, clock=clock)
        self._samples: TTLCache[tuple[str, str], _SampleRead] = TTLCache(
            SAMPLE_KEEP_S if ttl_s > 0 else 0, clock=clock)
        self._label_sets: TTLCache[tuple[str, str, str], bool] = TTLCache(ttl_s, clock=clock)

    async def dataset(self, dataset_id: str) -> DatasetInfo:
        return (await self._dataset(dataset_id)).info

    async def _dataset(self, dataset_id: str) -> _DatasetRead:
        async def fetch() -> _DatasetRead:
            sent = self.clock.monotonic()
            try:
                message = await self.stub.GetDataset(
                    dataset_pb2.GetDatasetRequest(dataset_id=dataset_id), timeout=self.deadline_s)
            except grpc.aio.AioRpcError as exc:
                raise translate(exc, "dataset", "dataset", dataset_id) from exc
            return _DatasetRead(dataset_info_from_proto(message), sent)

        # Per caller: what a dataset says (the caller's role) and whether it is visible at
        # all depend on who asks.
        return await self._datasets.get((dataset_id, current_caller()), fetch)

    async def sample(self, sample_id: str) -> tuple[SampleInfo, DatasetInfo]:
        """The sample and its dataset; NOT_FOUND when either is gone."""
        key = (sample_id, current_caller())
        read = await self._samples.get(key, lambda: self._fetch_sample(sample_id, None))
        dataset = await self._dataset(read.info.dataset_id)
        if not self._fresh(read, dataset):
            self._samples.forget(key)
            read = await self._samples.get(key, lambda: self._fetch_sample(sample_id, dataset))
        return read.info, dataset.info

    def _fresh(self, read: _SampleRead, dataset: _DatasetRead) -> bool:
        if self.clock.monotonic() - read.received <= self.ttl_s:
            return True
        # Nothing changed between a dataset read before the sample's and one after it.
        return (read.revision_before > 0 and dataset.info.revision == read.revision_before
                and dataset.sent >= read.received)

    async def _fetch_sample(self, sample_id: str, before: _DatasetRead | None) -> _SampleRead:
        """Reads the sample; `before` is a dataset read that finished before this call."""
        try:
            message = await self.stub.GetSample(
                dataset_pb2.GetSampleRequest(sample_id=sample_id), timeout=self.deadline_s)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "sample", sample_id) from exc
        received = self.clock.monotonic()
        if before is None or before.info.id != message.dataset_id:
            before = None
            dataset = await self.dataset(message.dataset_id)
        else:
            dataset = before.info
        return _SampleRead(sample_info_from_proto(message, dataset.task_type), received,
                           before.info.revision if before is not None else 0)

    async def require_label_set(self, dataset_id: str, name: str) -> None:
        async def fetch() -> bool:
            try:
                await self.stub.GetLabelSet(
                    dataset_pb2.GetLabelSetRequest(dataset_id=dataset_id, name=name),
                    timeout=self.deadline_s)
            except grpc.aio.AioRpcError as exc:
                raise translate(exc, "dataset", "label set", name) from exc
            return True

        await self._label_sets.get((dataset_id, name, current_caller()), fetch)

    async def samples_by_priority(self, dataset_id: str, token: str,
                                  page_size: int) -> tuple[list[SampleInfo], str]:
        """One page of the dataset's current samples, highest priority first (not cached)."""
        request = dataset_pb2.ListSamplesRequest(dataset_id=dataset_id, page_size=page_size,
                                                 page_token=token, order_by="priority desc")
        try:
            response = await self.stub.ListSamples(request, timeout=self.deadline_s)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc
        dataset = await self.dataset(dataset_id)
        samples = [sample_info_from_proto(s, dataset.task_type) for s in response.samples]
        return samples, response.next_page_token


# The dataset service's messages as labeling domain types.


def _definition(message: dataset_pb2.AttributeDefinition) -> AttributeDefinition:
    return AttributeDefinition(
        name=message.name,
        input_type=from_proto(dataset_pb2.AttributeInputType, message.input_type, InputType,
                              "input_type"),
        values=tuple(message.values),
        min=message.min if message.HasField("min") else None,
        max=message.max if message.HasField("max") else None,
        step=message.step if message.HasField("step") else None,
        default=(json_format.MessageToDict(message.default_value)
                 if message.HasField("default_value") else None),
        is_mandatory=message.is_mandatory,
        is_track_level=message.is_track_level,
    )


def task_attributes_from_proto(message: dataset_pb2.TaskAttributes) -> TaskAttributes:
    return TaskAttributes(
        categories=tuple(
            Category(id=c.id, name=c.name, color=c.color,
                     attributes=tuple(_definition(d) for d in c.attributes),
                     keypoint_names=tuple(c.keypoint_names))
            for c in message.categories),
        sample_attributes=tuple(_definition(d) for d in message.sample_attributes),
    )


def dataset_info_from_proto(message: dataset_pb2.Dataset) -> DatasetInfo:
    return DatasetInfo(
        id=message.id,
        task_type=task_type_from_proto(message.task_type, "task_type"),
        task_attributes=task_attributes_from_proto(message.task_attributes),
        caller_role=message.caller_role,
        revision=message.revision,
    )


def _sensors(attributes_json: str) -> tuple[Sensor, ...]:
    # The dataset service validated the sample; read the sensors' names and frame counts.
    attributes = json.loads(attributes_json or "{}")
    sensors = []
    for entry in attributes.get("sensors", []):
        frames = entry.get("attributes", {}).get("frames", [])
        sensors.append(Sensor(entry["name"], TaskType(entry["task_type"]), len(frames)))
    return tuple(sensors)


def sample_info_from_proto(message: dataset_pb2.Sample, task_type: TaskType) -> SampleInfo:
    multisensor = task_type is TaskType.MULTISENSOR_SEQUENCE
    return SampleInfo(
        id=message.id,
        dataset_id=message.dataset_id,
        frame_count=message.frame_count,
        priority=message.priority,
        assigned_labeler=message.assigned_labeler,
        sensors=_sensors(message.attributes_json) if multisensor else (),
    )
