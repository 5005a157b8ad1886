"""framewise.labeling.v1.LabelingService over gRPC: protobuf in, protobuf out, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

import grpc

from framewise.labeling.v1 import labeling_pb2 as pb
from framewise.labeling.v1 import labeling_pb2_grpc
from services.labeling.api import converters as conv
from services.labeling.service import LabelingOperations
from shared.identity import current_caller
from shared.request_limits import enforce_limits

# grpc ships no type information: the servicer context is Any to mypy.
Context: TypeAlias = grpc.aio.ServicerContext


@enforce_limits(pb.DESCRIPTOR.services_by_name["LabelingService"])
class LabelingServicer(labeling_pb2_grpc.LabelingServiceServicer):
    def __init__(self, operations: LabelingOperations) -> None:
        self.ops = operations

    async def GetLabel(self, request: pb.GetLabelRequest, context: Context) -> pb.Label:
        label = await self.ops.get_label(request.sample_id, conv.label_set_name(request.label_set),
                                         request.revision)
        return conv.label_to_proto(label)

    async def SaveLabel(self, request: pb.SaveLabelRequest, context: Context) -> pb.Label:
        draft = conv.draft_from_proto(request.label)
        return conv.label_to_proto(await self.ops.save_label(current_caller(), draft))

    async def DeleteLabel(self, request: pb.DeleteLabelRequest,
                          context: Context) -> pb.DeleteLabelResponse:
        revision = await self.ops.delete_label(current_caller(), request.sample_id,
                                               conv.label_set_name(request.label_set),
                                               request.etag)
        return pb.DeleteLabelResponse(revision=revision)

    async def ListLabels(self, request: pb.ListLabelsRequest,
                         context: Context) -> pb.ListLabelsResponse:
        status = conv.status_from_proto(request.status, "status") if request.status else None
        labels, token = await self.ops.list_labels(
            request.dataset_id, conv.label_set_name(request.label_set), status,
            request.page_size, request.page_token)
        return pb.ListLabelsResponse(labels=[conv.label_to_proto(x) for x in labels],
                                     next_page_token=token)

    async def ListLabelRevisions(self, request: pb.ListLabelRevisionsRequest,
                                 context: Context) -> pb.ListLabelRevisionsResponse:
        found, token = await self.ops.list_revisions(
            request.sample_id, conv.label_set_name(request.label_set), request.page_size,
            request.page_token)
        return pb.ListLabelRevisionsResponse(revisions=[conv.label_to_proto(x) for x in found],
                                             next_page_token=token)

    async def StreamLabels(self, request: pb.StreamLabelsRequest,
                           context: Context) -> AsyncIterator[pb.StreamLabelsResponse]:
        pages = self.ops.stream_labels(request.dataset_id, conv.label_set_name(request.label_set),
                                       request.as_of_revision, request.page_size)
        async for labels, revision in pages:
            yield pb.StreamLabelsResponse(labels=[conv.label_to_proto(x) for x in labels],
                                          revision=revision)

    async def ClaimNextSample(self, request: pb.ClaimNextSampleRequest,
                              context: Context) -> pb.ClaimNextSampleResponse:
        hold = await self.ops.claim_next(current_caller(), request.dataset_id,
                                         conv.label_set_name(request.label_set))
        if hold is None:
            return pb.ClaimNextSampleResponse()
        return pb.ClaimNextSampleResponse(assignment=conv.assignment_to_proto(hold))

    async def ReleaseSample(self, request: pb.ReleaseSampleRequest,
                            context: Context) -> pb.Assignment:
        hold = await self.ops.release(current_caller(), request.sample_id,
                                      conv.label_set_name(request.label_set))
        return conv.assignment_to_proto(hold)

    async def AssignSample(self, request: pb.AssignSampleRequest,
                           context: Context) -> pb.Assignment:
        hold = await self.ops.assign(request.sample_id, conv.label_set_name(request.label_set),
                                     request.labeler)
        return conv.assignment_to_proto(hold)

    async def AllocateTrackIds(self, request: pb.AllocateTrackIdsRequest,
                               context: Context) -> pb.AllocateTrackIdsResponse:
        ids = await self.ops.allocate_track_ids(request.sample_id,
                                                conv.label_set_name(request.label_set),
                                                request.count)
        return pb.AllocateTrackIdsResponse(track_ids=ids)
