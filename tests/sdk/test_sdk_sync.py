"""Client is AsyncClient run on a private event loop: the same methods, blocking, from any
thread, with callbacks in the caller's thread and streams cancelled when left early."""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from framewise.client import AsyncClient, Client, Keyframe, NewSample, Track, Unavailable
from tests.sdk.conftest import BOX_CATEGORIES, Suite, frames, unique
from tests.support.tokens import token_for


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def test_client_has_every_method_of_async_client_with_its_signature() -> None:
    assert _public(Client) - {"close"} == _public(AsyncClient) - {"close"}
    for name in _public(AsyncClient) - {"close"}:
        sync, aio = getattr(Client, name), getattr(AsyncClient, name)
        assert sync.__doc__ == aio.__doc__, name
        expected = inspect.signature(aio)
        if "ItemStream" in str(expected.return_annotation):
            assert str(inspect.signature(sync).return_annotation).startswith("Iterator["), name
        else:
            assert inspect.signature(sync) == expected, name


def _track(frame_count: int) -> Track:
    return Track(track_id=1, category_id=1, geometry_type="bbox", keyframes=[
        Keyframe(frame=0, coordinates=[0.0, 0.0, 10.0, 10.0]),
        Keyframe(frame=frame_count - 1, coordinates=[100.0, 0.0, 110.0, 10.0])])


def test_a_stream_left_early_is_cancelled_and_the_client_goes_on(client: Client) -> None:
    for state in client.iter_frames_inline([_track(100_000)], 100_000):
        assert state.frame == 0
        break
    states = list(client.iter_frames_inline([_track(50)], 50))
    assert [s.frame for s in states] == list(range(50))


def test_calls_from_many_threads_share_the_client(client: Client) -> None:
    dataset = client.add_dataset(unique("threads"), "bboxes", task_attributes=BOX_CATEGORIES)

    def add(i: int) -> str:
        return client.add_sample(dataset.id, NewSample(f"s{i}", {"image": {"url": "x"}})).name

    with ThreadPoolExecutor(8) as pool:
        names = sorted(pool.map(add, range(32)))
    assert names == sorted(f"s{i}" for i in range(32))
    assert len(list(client.list_samples(dataset.id, page_size=5))) == 32


def test_callbacks_run_in_the_callers_thread(client: Client) -> None:
    dataset = client.add_dataset(unique("callbacks"), "image-vector-sequence",
                                 task_attributes=BOX_CATEGORIES)
    threads: set[int] = set()

    def progress(done: int, _batch: int) -> None:
        threads.add(threading.get_ident())
        assert client.get_dataset(dataset.id).id == dataset.id  # the client, re-entered

    client.add_samples(dataset.id, [NewSample(f"d{i}", {"frames": frames(2)})
                                    for i in range(3)], batch_size=1, progress=progress)
    assert threads == {threading.get_ident()}


def test_client_works_inside_a_running_event_loop(suite: Suite) -> None:
    async def main() -> int:
        with Client(addresses=suite.addresses, token=token_for("local")) as fw:
            return len(fw.health())

    assert asyncio.run(main()) == 4


def test_unreachable_is_unavailable_and_a_closed_client_refuses() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    fw = Client(addresses=dict.fromkeys(("dataset", "labeling", "interpolation", "release"),
                                        closed), token="t", timeout=2)
    with pytest.raises(Unavailable):
        fw.get_dataset("d")
    fw.close()
    with pytest.raises(RuntimeError, match="closed"):
        fw.get_dataset("d")
