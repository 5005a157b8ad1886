"""`AsyncClient`: the asyncio SDK, and the one implementation of the SDK: `Client`
(framewise.client.sync) runs these same methods on a private event loop.

    async with AsyncClient() as fw:
        dataset = await fw.get_dataset(dataset_id)
        async for frame in fw.iter_frames(sample_id):
            draw(frame)

Every call is described once in `ops` (request and conversion); this module runs them
over grpc.aio, pages listings, and holds the methods made of several calls.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from pathlib import Path
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from framewise.client import _base as base
from framewise.client import ops
from framewise.client import types as t
from framewise.client.config import ClientConfig, TlsConfig
from framewise.client.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    ReleaseFailed,
    from_rpc_error,
)
from framewise.client.files import DownloadSink, ExportSink
from framewise.connection import SERVICES

T = TypeVar("T")
# Callbacks may be functions or coroutine functions (awaited): base.CALLBACKS.
Progress = Callable[[int, int], Any]


class ItemStream(AsyncIterator[T]):
    """The items of a listing or of a server stream, as they arrive: `async for` them.

    They arrive in batches (a page, a stream message); `next_batch()` takes what is left
    of one at once, which is how `Client` crosses from its event loop to the caller's
    thread once per batch rather than once per item. `aclose()` ends the listing or
    cancels the stream early."""

    def __init__(self, batches: AsyncGenerator[list[T], None]) -> None:
        self._batches = batches
        self._pending: deque[T] = deque()

    def __aiter__(self) -> ItemStream[T]:
        return self

    async def __anext__(self) -> T:
        while not self._pending:
            self._pending.extend(await anext(self._batches))
        return self._pending.popleft()

    async def next_batch(self) -> list[T] | None:
        """The items of the current batch not taken yet, else the next batch (perhaps
        empty); None once there are no more."""
        if self._pending:
            batch = list(self._pending)
            self._pending.clear()
            return batch
        try:
            return await anext(self._batches)
        except StopAsyncIteration:
            return None

    async def aclose(self) -> None:
        await self._batches.aclose()


class AsyncClient:
    """Asyncio client of the four services. Every call has a deadline (`timeout`,
    `stream_timeout` for streams); UNAVAILABLE is retried with backoff by the channels.
    Failures raise `framewise.client.errors.FramewiseError` subclasses. Listings and
    streams are `ItemStream`s (`async for`); paging is hidden. Create it inside a
    running event loop."""

    def __init__(self, *, addresses: dict[str, str] | None = None, token: str | None = None,
                 tls: TlsConfig | bool | None = None, timeout: float | None = None,
                 config: ClientConfig | None = None) -> None:
        self.config = base.make_config(config, addresses=addresses, token=token, tls=tls,
                                       timeout=timeout)
        self._channels = {s: self.config.aio_channel(s) for s in SERVICES}
        self._stubs = {s: base.STUBS[s](self._channels[s]) for s in SERVICES}
        self._metadata = self.config.metadata()

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- running ops ---

    async def _unary(self, op: ops.Unary[T]) -> T:
        method = getattr(self._stubs[op.service], op.method)
        try:
            response = await method(op.request, timeout=self.config.timeout,
                                    metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return op.convert(response)

    def _paged(self, op: ops.Paged[T]) -> ItemStream[T]:
        return ItemStream(self._pages(op))

    async def _pages(self, op: ops.Paged[T]) -> AsyncGenerator[list[T], None]:
        request = type(op.request)()
        request.CopyFrom(op.request)
        while True:
            page = await self._unary(ops.Unary(op.service, op.method, request, lambda m: m))
            yield [op.convert(item) for item in getattr(page, op.items)]
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def _stream(self, op: ops.Streamed[T]) -> ItemStream[T]:
        return ItemStream(self._messages(op))

    async def _messages(self, op: ops.Streamed[T]) -> AsyncGenerator[list[T], None]:
        method = getattr(self._stubs[op.service], op.method)
        call = method(op.request, timeout=self.config.stream_timeout, metadata=self._metadata)
        try:
            async for message in call:
                yield list(op.convert(message))
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        finally:
            call.cancel()

    # --- health ---

    async def health(self) -> dict[str, str]:
        """Every service's grpc.health.v1 status: SERVING, NOT_SERVING, or UNAVAILABLE."""

        async def check(channel: grpc.aio.Channel) -> str:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=min(self.config.timeout, 5.0),
                    metadata=self._metadata)
            except grpc.RpcError as error:
                return error.code().name  # type: ignore[attr-defined]
            return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

        names = list(self._channels)
        found = await asyncio.gather(*(check(self._channels[n]) for n in names))
        return dict(zip(names, found, strict=True))

    # --- datasets ---

    async def add_dataset(self, name: str, task_type: str, *, description: str = "",
                          task_attributes: t.TaskAttributes | Mapping[str, Any] | None = None,
                          settings: t.DatasetSettings | None = None,
                          metadata: Mapping[str, Any] | None = None,
                          request_id: str | None = None) -> t.Dataset:
        return await self._unary(ops.create_dataset(
            name, task_type, description=description, task_attributes=task_attributes,
            settings=settings, metadata=metadata, request_id=request_id))

    async def get_dataset(self, dataset_id: str) -> t.Dataset:
        return await self._unary(ops.get_dataset(dataset_id))

    async def find_dataset(self, id_or_name: str) -> t.Dataset:
        """A dataset by id, or by exact name among the caller's visible datasets."""
        if base.is_uuid_like(id_or_name):
            return await self.get_dataset(id_or_name)
        candidates = [d async for d in self.list_datasets(name_contains=id_or_name)]
        found = base.pick_by_name(candidates, id_or_name)
        if found is None:
            raise NotFound(f"dataset {id_or_name!r} not found", reason="NOT_FOUND",
                           metadata={"resource": "dataset", "key": id_or_name})
        return found

    def list_datasets(self, *, owner: str = "", name_contains: str = "",
                      task_type: str | None = None) -> ItemStream[t.Dataset]:
        return self._paged(ops.list_datasets(owner=owner, name_contains=name_contains,
                                             task_type=task_type))

    async def update_dataset(self, dataset_id: str, *, name: str | None = None,
                             description: str | None = None,
                             task_attributes: t.TaskAttributes | Mapping[str, Any] | None = None,
                             settings: t.DatasetSettings | None = None,
                             metadata: Mapping[str, Any] | None = None,
                             etag: str = "") -> t.Dataset:
        """Updates the fields passed (the others stay); with `etag`, only if unchanged."""
        return await self._unary(ops.update_dataset(
            dataset_id, name=name, description=description, task_attributes=task_attributes,
            settings=settings, metadata=metadata, etag=etag))

    async def delete_dataset(self, dataset_id: str, etag: str = "") -> None:
        await self._unary(ops.delete_dataset(dataset_id, etag))

    async def clone_dataset(self, dataset_id: str, name: str, *,
                            description: str | None = None, with_labels: bool = True,
                            batch_size: int = base.DEFAULT_BATCH_SIZE) -> t.Dataset:
        """A new dataset with the same task, settings, label sets and samples (and, with
        `with_labels`, every label), read as of one revision of the source."""
        source = await self.get_dataset(dataset_id)
        clone = await self.add_dataset(**base.dataset_copy_kwargs(source, name, description))
        samples = self.list_samples(dataset_id, as_of_revision=source.revision)
        copied: dict[str, str] = {}
        async for batch in base.chunks(samples, batch_size):
            created = await self.add_samples(clone.id, [base.clone_sample(s) for s in batch])
            copied.update({old.id: new.id for old, new in zip(batch, created, strict=True)})
        async for label_set in self.list_label_sets(dataset_id):
            if not label_set.is_default:
                await self.add_label_set(clone.id, label_set.name, label_set.description)
            if with_labels:
                async for label in self.list_labels(dataset_id, label_set.name):
                    if label.sample_id in copied:
                        await self.add_label(copied[label.sample_id], label.attributes,
                                             label_set=label.label_set, status=label.status,
                                             score=label.score)
        return await self.get_dataset(clone.id)

    # --- samples ---

    async def add_sample(self, dataset_id: str, sample: t.NewSample | Mapping[str, Any],
                         request_id: str | None = None) -> t.Sample:
        return await self._unary(ops.create_sample(dataset_id, sample, request_id))

    async def add_samples(self, dataset_id: str,
                          samples: (Iterable[t.NewSample | Mapping[str, Any]]
                                    | AsyncIterable[t.NewSample | Mapping[str, Any]]), *,
                          batch_size: int = base.DEFAULT_BATCH_SIZE,
                          progress: Progress | None = None) -> list[t.Sample]:
        """Adds samples in batches (each batch all or nothing, retried safely with its own
        request id); `progress(done, batch)` after each batch."""
        created: list[t.Sample] = []
        async for batch in base.chunks(samples, batch_size):
            try:
                created.extend(await self._unary(ops.batch_create_samples(
                    dataset_id, batch, str(uuid.uuid4()), offset=len(created))))
            except InvalidArgument as error:
                raise base.reindex_batch_error(error, len(created)) from None
            if progress:
                await base.callback(progress, len(created), len(batch))
        return created

    async def get_sample(self, sample_id: str) -> t.Sample:
        return await self._unary(ops.get_sample(sample_id))

    def list_samples(self, dataset_id: str, *, name_contains: str = "",
                     metadata_filter: Mapping[str, Any] | None = None, order_by: str = "",
                     as_of_revision: int = 0, assigned_labeler: str = "",
                     page_size: int = 0) -> ItemStream[t.Sample]:
        return self._paged(ops.list_samples(
            dataset_id, name_contains=name_contains, metadata_filter=metadata_filter,
            order_by=order_by, as_of_revision=as_of_revision,
            assigned_labeler=assigned_labeler, page_size=page_size))

    async def update_sample(self, sample_id: str, *, name: str | None = None,
                            attributes: Mapping[str, Any] | None = None,
                            metadata: Mapping[str, Any] | None = None,
                            priority: int | None = None, assigned_labeler: str | None = None,
                            assigned_reviewer: str | None = None,
                            etag: str = "") -> t.Sample:
        return await self._unary(ops.update_sample(
            sample_id, name=name, attributes=attributes, metadata=metadata, priority=priority,
            assigned_labeler=assigned_labeler, assigned_reviewer=assigned_reviewer,
            etag=etag))

    async def delete_sample(self, sample_id: str, etag: str = "") -> None:
        await self._unary(ops.delete_sample(sample_id, etag))

    async def get_sample_frames(self, sample_id: str, sensor: str = "") -> list[t.Frame]:
        return await self._unary(ops.get_sample_frames(sample_id, sensor))

    # --- label sets and collaborators ---

    async def add_label_set(self, dataset_id: str, name: str,
                            description: str = "") -> t.LabelSet:
        return await self._unary(ops.create_label_set(dataset_id, name, description))

    async def get_label_set(self, dataset_id: str, name: str) -> t.LabelSet:
        return await self._unary(ops.get_label_set(dataset_id, name))

    def list_label_sets(self, dataset_id: str) -> ItemStream[t.LabelSet]:
        return self._paged(ops.list_label_sets(dataset_id))

    async def delete_label_set(self, dataset_id: str, name: str) -> None:
        await self._unary(ops.delete_label_set(dataset_id, name))

    async def add_collaborator(self, dataset_id: str, user: str, role: str) -> t.Collaborator:
        return await self._unary(ops.add_collaborator(dataset_id, user, role))

    def list_collaborators(self, dataset_id: str) -> ItemStream[t.Collaborator]:
        return self._paged(ops.list_collaborators(dataset_id))

    async def update_collaborator(self, dataset_id: str, user: str,
                                  role: str) -> t.Collaborator:
        return await self._unary(ops.update_collaborator(dataset_id, user, role))

    async def remove_collaborator(self, dataset_id: str, user: str) -> None:
        await self._unary(ops.remove_collaborator(dataset_id, user))

    # --- labels ---

    async def get_label(self, sample_id: str, label_set: str = ops.GROUND_TRUTH,
                        revision: int = 0) -> t.Label:
        return await self._unary(ops.get_label(sample_id, label_set, revision))

    async def add_label(self, sample_id: str, attributes: Mapping[str, Any], *,
                        label_set: str = ops.GROUND_TRUTH, status: str | None = None,
                        score: float | None = None, etag: str = "") -> t.Label:
        """Saves a label: over whatever is there (no etag), or only over the state with
        `etag` (else `Conflict`)."""
        return await self._unary(ops.save_label(sample_id, attributes, label_set=label_set,
                                                status=status, score=score, etag=etag))

    async def update_label(self, sample_id: str, attributes: base.LabelAttributes = None, *,
                           label_set: str = ops.GROUND_TRUTH, status: str | None = None,
                           score: float | None = None, etag: str | None = None,
                           retries: int = 0) -> t.Label:
        """Saves a label over the state it read, never over someone else's change.

        Without `etag`, reads the current label and sends its etag; `attributes` may be a
        function of that label (`lambda current: {...}`), or None to keep its annotations
        (e.g. to change only the status). On `Conflict` (another writer won) it re-reads
        and tries again up to `retries` times. With an explicit `etag`, a stale one
        raises `Conflict` at once."""
        attempt = 0
        while True:
            current: t.Label | None = None
            if etag is None or callable(attributes) or attributes is None:
                try:
                    current = await self.get_label(sample_id, label_set)
                except NotFound:
                    current = None
            sent = etag if etag is not None else (current.etag if current else "")
            new = await base.new_attributes(attributes, current)
            try:
                return await self.add_label(sample_id, new, label_set=label_set,
                                            status=status, score=score, etag=sent)
            except Conflict:
                if etag is not None or attempt >= retries:
                    raise
                await asyncio.sleep(base.conflict_backoff(attempt))
                attempt += 1

    async def delete_label(self, sample_id: str, label_set: str = ops.GROUND_TRUTH,
                           etag: str = "") -> int:
        """Deletes a label; returns the revision that records the deletion."""
        return await self._unary(ops.delete_label(sample_id, label_set, etag))

    def list_labels(self, dataset_id: str, label_set: str = ops.GROUND_TRUTH,
                    status: str | None = None) -> ItemStream[t.Label]:
        return self._paged(ops.list_labels(dataset_id, label_set, status))

    def list_label_revisions(self, sample_id: str,
                             label_set: str = ops.GROUND_TRUTH) -> ItemStream[t.Label]:
        return self._paged(ops.list_label_revisions(sample_id, label_set))

    async def allocate_track_ids(self, sample_id: str, count: int = 1,
                                 label_set: str = ops.GROUND_TRUTH) -> list[int]:
        return await self._unary(ops.allocate_track_ids(sample_id, count, label_set))

    # --- releases ---

    async def add_release(self, dataset_id: str, name: str, description: str = "",
                          request_id: str | None = None) -> t.Release:
        """Starts a release (PENDING); `wait_for_release` until it is built."""
        return await self._unary(ops.create_release(dataset_id, name, description, request_id))

    async def get_release(self, release_id: str) -> t.Release:
        return await self._unary(ops.get_release(release_id))

    def list_releases(self, dataset_id: str) -> ItemStream[t.Release]:
        return self._paged(ops.list_releases(dataset_id))

    async def delete_release(self, release_id: str) -> None:
        await self._unary(ops.delete_release(release_id))

    # `timeout` is a polling budget, not a call deadline (and Client's name for it too).
    async def wait_for_release(self, release_id: str, *, timeout: float = 600.0,  # noqa: ASYNC109
                               on_poll: Callable[[t.Release], Any] | None = None
                               ) -> t.Release:
        """Polls until the release SUCCEEDED (returned), FAILED (`ReleaseFailed`) or
        `timeout` seconds passed (`TimeoutError`)."""
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            release = await self.get_release(release_id)
            if on_poll:
                await base.callback(on_poll, release)
            if release.status == "succeeded":
                return release
            if release.status == "failed":
                raise ReleaseFailed(release)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"release {release.name!r} still {release.status} after "
                                   f"{timeout:g} s")
            await asyncio.sleep(min(base.release_poll_interval(attempt),
                                    max(deadline - time.monotonic(), 0.0)))
            attempt += 1

    async def download_release(self, release_id: str, path: str | Path, *,
                               progress: Progress | None = None) -> Path:
        """Writes the release file to `path` (checked against its SHA-256);
        `progress(bytes_done, bytes_total)` after each chunk."""
        release = await self.get_release(release_id)
        sink = DownloadSink(path)
        try:
            async with aclosing(self._stream(ops.download_release(release_id))) as chunks:
                async for chunk in chunks:
                    sink.write(chunk)
                    if progress:
                        await base.callback(progress, sink.written, sink.total)
        except BaseException:
            sink.abort()
            raise
        return sink.finish(release.content_sha256)

    async def export_release(self, release_id: str, destination: str | Path, *,
                             export_format: str = "coco-instance",
                             label_set: str = ops.GROUND_TRUTH,
                             progress: Callable[[t.ExportedFile], Any] | None = None
                             ) -> list[t.ExportedFile]:
        """Exports a release (`release-json`, `coco-instance`, `yolo`) as files under the
        directory `destination`, or into one archive when it ends in `.zip`."""
        sink = ExportSink(destination)
        try:
            op = ops.export_release(release_id, export_format, label_set)
            async with aclosing(self._stream(op)) as chunks:
                async for chunk in chunks:
                    before = len(sink.files)
                    sink.write(chunk)
                    if progress and len(sink.files) > before:
                        await base.callback(progress, sink.files[-1])
        except BaseException:
            sink.abort()
            raise
        return sink.finish()

    # --- interpolation ---

    def iter_frames(self, sample_id: str, *, label_set: str = ops.GROUND_TRUTH,
                    revision: int = 0, sensor: str = "", start_frame: int = 0,
                    end_frame: int = 0, track_ids: Sequence[int] = (),
                    frames_per_message: int = 0) -> ItemStream[t.FrameState]:
        """The frames of a stored sequence label, keyframes and interpolated, in order,
        as they stream from the interpolation service."""
        return self._stream(ops.stream_frame_states(
            sample_id=sample_id, label_set=label_set, revision=revision, sensor=sensor,
            start_frame=start_frame, end_frame=end_frame, track_ids=track_ids,
            frames_per_message=frames_per_message))

    def iter_frames_inline(self, tracks: Sequence[t.Track], frame_count: int, *,
                           timestamps: Sequence[float] | None = None,
                           mode: str | None = None, extrapolate_cuboid_position: bool = False,
                           start_frame: int = 0, end_frame: int = 0,
                           track_ids: Sequence[int] = ()) -> ItemStream[t.FrameState]:
        """The frames computed from keyframe tracks sent with the request."""
        return self._stream(ops.stream_frame_states(
            tracks=tracks, frame_count=frame_count, timestamps=timestamps, mode=mode,
            extrapolate_cuboid_position=extrapolate_cuboid_position,
            start_frame=start_frame, end_frame=end_frame, track_ids=track_ids))

    async def get_frame(self, sample_id: str, frame: int, *,
                        label_set: str = ops.GROUND_TRUTH) -> t.FrameState:
        return await self._unary(ops.get_frame_state(frame, sample_id=sample_id,
                                                     label_set=label_set))
