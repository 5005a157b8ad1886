"""What a release reads from the other services, over gRPC, as the release's creator.

Every call forwards the creator's identity, so a release never shows what its creator
could not read. Streams have long deadlines (a build may take minutes); unary calls
the usual short one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from framewise.dataset.v1 import dataset_pb2, dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2
from framewise.labeling.v1 import labeling_pb2, labeling_pb2_grpc
from shared.auth import AuthConfig
from shared.auth_grpc import acting_as
from shared.errors import NotFound
from shared.peers import DEFAULT_DEADLINE_S, translate

SAMPLES_PAGE = 1000
LABELS_PAGE = 1000
# A stream's deadline: generous, but a wedged peer still fails the build in the end.
STREAM_DEADLINE_S = 3600.0
# A page of 1,000 samples: longer than a single-resource call.
PAGE_DEADLINE_S = 60.0


class Sources:
    def __init__(self, dataset: grpc.aio.Channel, labeling: grpc.aio.Channel,
                 interpolation: grpc.aio.Channel, auth: AuthConfig | None) -> None:
        self.datasets = dataset_pb2_grpc.DatasetServiceStub(dataset)
        self.labeling = labeling_pb2_grpc.LabelingServiceStub(labeling)
        # No stub for the interpolation service: a stub would register the method with
        # its deserializer on the channel, and these messages must stay raw bytes.
        self.raw_frame_states = interpolation.unary_stream(
            "/framewise.interpolation.v1.InterpolationService/StreamFrameStates",
            request_serializer=interpolation_pb2.StreamFrameStatesRequest.SerializeToString,
            response_deserializer=None)
        self.auth = auth

    def _as(self, user: str) -> tuple[tuple[str, str], ...]:
        """Calls act for the release's creator, also in a build resumed after a restart."""
        return acting_as(user, self.auth)

    async def dataset(self, dataset_id: str, user: str) -> dataset_pb2.Dataset:
        try:
            return await self.datasets.GetDataset(
                dataset_pb2.GetDatasetRequest(dataset_id=dataset_id), metadata=self._as(user),
                timeout=DEFAULT_DEADLINE_S)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc

    async def label_sets(self, dataset_id: str, user: str) -> list[dataset_pb2.LabelSet]:
        found: list[dataset_pb2.LabelSet] = []
        token = ""
        try:
            while True:
                page = await self.datasets.ListLabelSets(
                    dataset_pb2.ListLabelSetsRequest(dataset_id=dataset_id, page_size=1000,
                                                     page_token=token),
                    metadata=self._as(user), timeout=DEFAULT_DEADLINE_S)
                found.extend(page.label_sets)
                token = page.next_page_token
                if not token:
                    return found
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc

    async def label_revision(self, dataset_id: str, label_set: str, user: str) -> int:
        """The labeling service's revision now: the first page of a label stream says
        which revision it is as of (a dataset with no labels still gets one page)."""
        call = self.labeling.StreamLabels(
            labeling_pb2.StreamLabelsRequest(dataset_id=dataset_id, label_set=label_set,
                                             page_size=1),
            metadata=self._as(user), timeout=DEFAULT_DEADLINE_S)
        try:
            async for page in call:
                return int(page.revision)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "labeling", "dataset", dataset_id) from exc
        finally:
            call.cancel()
        raise NotFound("dataset", dataset_id)

    async def samples(self, dataset_id: str, revision: int,
                      user: str) -> AsyncIterator[list[dataset_pb2.Sample]]:
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
                    yield list(page.samples)
                token = page.next_page_token
                if not token:
                    return
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "dataset", dataset_id) from exc

    async def labels(self, dataset_id: str, label_set: str, revision: int,
                     user: str) -> AsyncIterator[list[labeling_pb2.Label]]:
        """Pages of one label set's labels as of `revision`, by sample id."""
        call = self.labeling.StreamLabels(
            labeling_pb2.StreamLabelsRequest(dataset_id=dataset_id, label_set=label_set,
                                             as_of_revision=revision, page_size=LABELS_PAGE),
            metadata=self._as(user), timeout=STREAM_DEADLINE_S)
        try:
            async for page in call:
                if page.labels:
                    yield list(page.labels)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "labeling", "label set", f"{dataset_id}/{label_set}") from exc
        finally:
            call.cancel()

    async def sample_frames(self, sample_id: str, revision: int,
                            user: str) -> dataset_pb2.GetSampleFramesResponse:
        try:
            return await self.datasets.GetSampleFrames(
                dataset_pb2.GetSampleFramesRequest(sample_id=sample_id, as_of_revision=revision),
                metadata=self._as(user), timeout=DEFAULT_DEADLINE_S)
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "dataset", "sample", sample_id) from exc

    async def frame_states(self, request: interpolation_pb2.StreamFrameStatesRequest,
                           sample_id: str, label_set: str, user: str,
                           ) -> AsyncIterator[bytes]:
        """Every frame's object states of a sequence's tracks, in order, as the raw
        messages (they are parsed where they are formatted: formatting.FramePool)."""
        call = self.raw_frame_states(request, metadata=self._as(user),
                                     timeout=STREAM_DEADLINE_S)
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "interpolation", "label", f"{sample_id}/{label_set}") from exc
        finally:
            call.cancel()
