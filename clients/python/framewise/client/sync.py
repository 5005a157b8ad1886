"""`Client`: the synchronous SDK. It is `AsyncClient` run on a private event loop: one
implementation of every call, two ways to wait for it.

    from framewise.client import Client
    with Client() as fw:                      # addresses, token, TLS from FRAMEWISE_*
        ds = fw.add_dataset("street", "bboxes", task_attributes={"categories": [...]})
        fw.add_samples(ds.id, [NewSample("a.jpg", {"image": {"url": ...}})])
        for sample in fw.list_samples(ds.id):  # paging is hidden
            ...

Each method below is the `AsyncClient` method of the same name (its signature and its
documentation): a coroutine's result is returned, an `ItemStream` becomes an iterator
that takes one page or stream message at a time from the loop. The loop runs in a
daemon thread of the client's own, so a `Client` works the same from plain scripts,
from several threads at once and from code that runs an event loop of its own.
Callbacks (`progress`, `on_poll`, an `attributes` function) run in the caller's thread,
while the call waits for them, so they may call the client themselves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import inspect
import queue
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

from framewise.client import _base as base
from framewise.client.aio import AsyncClient, ItemStream
from framewise.client.config import ClientConfig, TlsConfig

T = TypeVar("T")
P = ParamSpec("P")


class _Caller:
    """The thread waiting for a call. The call's callbacks are relayed to it: it runs
    them while the loop goes on (a callback may call the client again), and the call
    awaits their result."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()

    def relay(self, function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        async def relayed(*args: Any) -> Any:
            done: concurrent.futures.Future[Any] = concurrent.futures.Future()

            def job() -> None:
                try:
                    done.set_result(function(*args))
                except Exception as error:
                    done.set_exception(error)

            self._jobs.put(job)
            return await asyncio.wrap_future(done)

        return relayed

    def wait(self, future: concurrent.futures.Future[T]) -> T:
        future.add_done_callback(lambda _: self._jobs.put(None))
        while (job := self._jobs.get()) is not None:
            job()
        return future.result()


def _blocking(method: Callable[Concatenate[AsyncClient, P], Coroutine[Any, Any, T]]
              ) -> Callable[Concatenate[Client, P], T]:
    """`Client.<name>`: runs `AsyncClient.<name>` on the client's loop, waits for it."""
    signature = inspect.signature(method)
    callbacks = [name for name in base.CALLBACKS if name in signature.parameters]

    @functools.wraps(method)
    def call(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> T:
        def start(caller: _Caller) -> Coroutine[Any, Any, T]:
            bound = signature.bind(self._async, *args, **kwargs)
            for name in callbacks:
                if callable(bound.arguments.get(name)):
                    bound.arguments[name] = caller.relay(bound.arguments[name])
            return method(*bound.args, **bound.kwargs)

        return self._run(start)

    return call


def _iterating(method: Callable[Concatenate[AsyncClient, P], ItemStream[T]]
               ) -> Callable[Concatenate[Client, P], Iterator[T]]:
    """`Client.<name>`: the items of `AsyncClient.<name>`'s stream, as an iterator."""

    @functools.wraps(method)
    def call(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        # The request is built (and checked) now, in the caller's thread, like a call.
        return self._iterate(method(self._async, *args, **kwargs))

    signature = inspect.signature(method)
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        return_annotation=str(signature.return_annotation).replace("ItemStream", "Iterator"))
    return call


async def _open(**kwargs: Any) -> AsyncClient:
    return AsyncClient(**kwargs)  # inside the loop: its channels belong to that loop


def _shut(loop: asyncio.AbstractEventLoop, thread: threading.Thread,
          client: AsyncClient | None) -> None:
    """Closes the channels, then stops and closes the loop (at `close()`, or when a
    forgotten client is collected or the interpreter exits)."""
    if client is not None and loop.is_running():
        # Closing: a channel that fails to close is gone anyway.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout=5)
    loop.call_soon_threadsafe(loop.stop)
    if thread is not threading.current_thread():
        thread.join(timeout=5)
    if not loop.is_running():
        loop.close()


class Client:
    """Synchronous client of the four services: the methods of `AsyncClient`, blocking.
    Every call has a deadline (`timeout`, `stream_timeout` for streams); UNAVAILABLE is
    retried with backoff by the channels. Failures raise
    `framewise.client.errors.FramewiseError` subclasses."""

    def __init__(self, *, addresses: dict[str, str] | None = None, token: str | None = None,
                 tls: TlsConfig | bool | None = None, timeout: float | None = None,
                 config: ClientConfig | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="framewise-client", daemon=True)
        self._thread.start()
        self._closed = False
        try:
            self._async = self._run(lambda _: _open(
                addresses=addresses, token=token, tls=tls, timeout=timeout,
                config=config))
        except BaseException:
            _shut(self._loop, self._thread, None)
            raise
        self.config: ClientConfig = self._async.config
        self._shutdown = weakref.finalize(self, _shut, self._loop, self._thread, self._async)

    def close(self) -> None:
        self._closed = True
        self._shutdown()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running on the loop ---

    def _run(self, start: Callable[[_Caller], Coroutine[Any, Any, T]]) -> T:
        """Runs the coroutine `start` makes on the loop; waits, running its callbacks."""
        if self._closed:
            raise RuntimeError("this Client is closed")
        if threading.current_thread() is self._thread:
            raise RuntimeError("a Client was called from its own event loop's thread")
        caller = _Caller()
        future = asyncio.run_coroutine_threadsafe(start(caller), self._loop)
        try:
            return caller.wait(future)
        except BaseException:
            future.cancel()  # Ctrl-C while waiting: cancel the call too
            raise

    def _iterate(self, stream: ItemStream[T]) -> Iterator[T]:
        try:
            while (batch := self._run(lambda _: stream.next_batch())) is not None:
                yield from batch
        finally:
            # Left early (break, an error, Ctrl-C): end the listing, cancel the stream.
            with contextlib.suppress(RuntimeError):
                self._run(lambda _: stream.aclose())

    # --- the methods: AsyncClient's, one line each ---

    health = _blocking(AsyncClient.health)

    add_dataset = _blocking(AsyncClient.add_dataset)
    get_dataset = _blocking(AsyncClient.get_dataset)
    find_dataset = _blocking(AsyncClient.find_dataset)
    list_datasets = _iterating(AsyncClient.list_datasets)
    update_dataset = _blocking(AsyncClient.update_dataset)
    delete_dataset = _blocking(AsyncClient.delete_dataset)
    clone_dataset = _blocking(AsyncClient.clone_dataset)

    add_sample = _blocking(AsyncClient.add_sample)
    add_samples = _blocking(AsyncClient.add_samples)
    get_sample = _blocking(AsyncClient.get_sample)
    list_samples = _iterating(AsyncClient.list_samples)
    update_sample = _blocking(AsyncClient.update_sample)
    delete_sample = _blocking(AsyncClient.delete_sample)
    get_sample_frames = _blocking(AsyncClient.get_sample_frames)

    add_label_set = _blocking(AsyncClient.add_label_set)
    get_label_set = _blocking(AsyncClient.get_label_set)
    list_label_sets = _iterating(AsyncClient.list_label_sets)
    delete_label_set = _blocking(AsyncClient.delete_label_set)
    add_collaborator = _blocking(AsyncClient.add_collaborator)
    list_collaborators = _iterating(AsyncClient.list_collaborators)
    update_collaborator = _blocking(AsyncClient.update_collaborator)
    remove_collaborator = _blocking(AsyncClient.remove_collaborator)

    get_label = _blocking(AsyncClient.get_label)
    add_label = _blocking(AsyncClient.add_label)
    update_label = _blocking(AsyncClient.update_label)
    delete_label = _blocking(AsyncClient.delete_label)
    list_labels = _iterating(AsyncClient.list_labels)
    list_label_revisions = _iterating(AsyncClient.list_label_revisions)
    allocate_track_ids = _blocking(AsyncClient.allocate_track_ids)

    add_release = _blocking(AsyncClient.add_release)
    get_release = _blocking(AsyncClient.get_release)
    list_releases = _iterating(AsyncClient.list_releases)
    delete_release = _blocking(AsyncClient.delete_release)
    wait_for_release = _blocking(AsyncClient.wait_for_release)
    download_release = _blocking(AsyncClient.download_release)
    export_release = _blocking(AsyncClient.export_release)

    iter_frames = _iterating(AsyncClient.iter_frames)
    iter_frames_inline = _iterating(AsyncClient.iter_frames_inline)
    get_frame = _blocking(AsyncClient.get_frame)
