"""The dataset service, as a release reads it: the dataset, its label sets, its samples
as of a revision, a sequence's frame timestamps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from framewise.dataset.v1 import dataset_pb2, dataset_pb2_grpc
from services.release.domain.inputs import DatasetInfo, LabelSetInfo, SampleEntry
from services.release.peers import convert
from shared.auth import AuthConfig
from shared.auth_grpc import acting_as
from shared.peers import DEFAULT_DEADLINE_S, translate

SAMPLES_PAGE = 1000
# A page of 1,000 samples: longer than a single-resource call.
PAGE_DEADLINE_S = 60.0


class DatasetPeer:
    def __init__(self, channel: grpc.aio.Channel, auth: AuthConfig | None) -> None:
        self.datasets = dataset_pb2_grpc.DatasetServiceStub(channel)
        self.auth = auth

    def _as(self, user: str) -> tuple[tuple[str, str], ...]:
        """Calls act for the release's creator, also in a build resumed after a restart."""
        return acting_as(user, self.auth)

    async def _get(self, dataset_id: str, user: str) -> dataset_pb2.Dataset:
        try:
            return await self.datasets.GetDataset(
                dataset_pb2.GetDatasetRequest(dataset_id=dataset_id), metadata=self._as(user),
                timeout=DEFAULT_DEADLINE_S)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc

    async def dataset(self, dataset_id: str, user: str) -> DatasetInfo:
        return convert.dataset_info(await self._get(dataset_id, user))

    async def caller_role(self, dataset_id: str, user: str) -> int:
        """The caller's role on the dataset (NotFound when they cannot see it)."""
        return convert.dataset_role(await self._get(dataset_id, user))

    async def label_sets(self, dataset_id: str, user: str) -> list[LabelSetInfo]:
        found: list[LabelSetInfo] = []
        token = ""
        try:
            while True:
                page = await self.datasets.ListLabelSets(
                    dataset_pb2.ListLabelSetsRequest(dataset_id=dataset_id, page_size=1000,
                                                     page_token=token),
                    metadata=self._as(user), timeout=DEFAULT_DEADLINE_S)
                found.extend(convert.label_set_info(s) for s in page.label_sets)
                token = page.next_page_token
                if not token:
                    return found
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc

    async def samples(self, dataset_id: str, revision: int,
                      user: str) -> AsyncIterator[list[SampleEntry]]:
        """Pages of the samples exactly as of `revision`, oldest first."""
        token = ""
        try:
            while True:
                page = await self.datasets.ListSamples(
                    dataset_pb2.ListSamplesRequest(dataset_id=dataset_id, as_of_revision=revision,
                                                   page_size=SAMPLES_PAGE, page_token=token,
                                                   order_by="create_time"),
                    metadata=self._as(user), timeout=PAGE_DEADLINE_S)
                if page.samples:
                    yield [convert.sample_entry(s) for s in page.samples]
                token = page.next_page_token
                if not token:
                    return
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc

    async def frame_timestamps(self, sample_id: str, revision: int,
                               user: str) -> list[float | None]:
        """A sequence sample's frames as of `revision`: each frame's timestamp, or None."""
        try:
            frames = await self.datasets.GetSampleFrames(
                dataset_pb2.GetSampleFramesRequest(sample_id=sample_id, as_of_revision=revision),
                metadata=self._as(user), timeout=DEFAULT_DEADLINE_S)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "sample", sample_id) from exc
        return convert.frame_timestamps(frames)
