"""The labeling service, as a release reads it: its revision now, and a label set's
labels as of a revision."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from framewise.labeling.v1 import labeling_pb2, labeling_pb2_grpc
from services.release.domain.inputs import LabelEntry
from services.release.peers import convert
from shared.auth import AuthConfig
from shared.auth_grpc import acting_as
from shared.errors import NotFound
from shared.peers import DEFAULT_DEADLINE_S, translate

LABELS_PAGE = 1000
# A stream's deadline: generous, but a wedged peer still fails the build in the end.
STREAM_DEADLINE_S = 3600.0


class LabelingPeer:
    def __init__(self, channel: grpc.aio.Channel, auth: AuthConfig | None) -> None:
        self.labeling = labeling_pb2_grpc.LabelingServiceStub(channel)
        self.auth = auth

    def _as(self, user: str) -> tuple[tuple[str, str], ...]:
        """Calls act for the release's creator, also in a build resumed after a restart."""
        return acting_as(user, self.auth)

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

    async def labels(self, dataset_id: str, label_set: str, revision: int,
                     user: str) -> AsyncIterator[list[LabelEntry]]:
        """Pages of one label set's labels as of `revision`, by sample id."""
        call = self.labeling.StreamLabels(
            labeling_pb2.StreamLabelsRequest(dataset_id=dataset_id, label_set=label_set,
                                             as_of_revision=revision, page_size=LABELS_PAGE),
            metadata=self._as(user), timeout=STREAM_DEADLINE_S)
        try:
            async for page in call:
                if page.labels:
                    yield [convert.label_entry(label) for label in page.labels]
        except grpc.aio.AioRpcError as exc:
            raise translate(exc, "labeling", "label set", f"{dataset_id}/{label_set}") from exc
        finally:
            call.cancel()
