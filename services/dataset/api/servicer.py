"""framewise.dataset.v1.DatasetService over gRPC: protobuf in, protobuf out, nothing else."""

from __future__ import annotations

from typing import TypeAlias

import grpc
from google.protobuf import empty_pb2

from framewise.dataset.v1 import dataset_pb2 as pb
from framewise.dataset.v1 import dataset_pb2_grpc
from services.dataset.api import converters as conv
from services.dataset.service import DatasetOperations
from shared import jsondoc
from shared.etags import mask_touches
from shared.identity import current_caller
from shared.proto_enums import task_type_from_proto
from shared.request_limits import enforce_limits

# grpc ships no type information: the servicer context is Any to mypy.
Context: TypeAlias = grpc.aio.ServicerContext


@enforce_limits(pb.DESCRIPTOR.services_by_name["DatasetService"])
class DatasetServicer(dataset_pb2_grpc.DatasetServiceServicer):
    def __init__(self, operations: DatasetOperations) -> None:
        self.ops = operations

    async def CreateDataset(self, request: pb.CreateDatasetRequest, context: Context) -> pb.Dataset:
        draft = conv.dataset_from_proto(request.dataset, require_task_type=True)
        return await self.ops.create_dataset(current_caller(), draft, request.request_id,
                                             conv.dataset_to_proto)

    async def GetDataset(self, request: pb.GetDatasetRequest, context: Context) -> pb.Dataset:
        return conv.dataset_to_proto(await self.ops.get_dataset(request.dataset_id))

    async def ListDatasets(self, request: pb.ListDatasetsRequest,
                           context: Context) -> pb.ListDatasetsResponse:
        task_type = (task_type_from_proto(request.task_type, "task_type")
                     if request.task_type else None)
        datasets, token = await self.ops.list_datasets(
            owner=request.owner, name_contains=request.name_contains, task_type=task_type,
            size=request.page_size, token=request.page_token,
        )
        return pb.ListDatasetsResponse(datasets=[conv.dataset_to_proto(d) for d in datasets],
                                       next_page_token=token)

    async def UpdateDataset(self, request: pb.UpdateDatasetRequest, context: Context) -> pb.Dataset:
        patch = conv.dataset_from_proto(request.dataset, require_task_type=False)
        return await self.ops.update_dataset(patch, list(request.update_mask.paths),
                                             request.dataset.etag, conv.dataset_to_proto)

    async def DeleteDataset(self, request: pb.DeleteDatasetRequest,
                            context: Context) -> empty_pb2.Empty:
        await self.ops.delete_dataset(request.dataset_id, request.etag)
        return empty_pb2.Empty()

    async def CreateSample(self, request: pb.CreateSampleRequest, context: Context) -> pb.Sample:
        draft = conv.sample_from_proto(request.sample, "sample")
        return await self.ops.create_samples(current_caller(), request.sample.dataset_id,
                                             [draft], request.request_id,
                                             lambda created: conv.sample_to_proto(created[0]),
                                             field="sample")

    async def BatchCreateSamples(self, request: pb.BatchCreateSamplesRequest,
                                 context: Context) -> pb.BatchCreateSamplesResponse:
        drafts = [conv.sample_from_proto(s, f"samples[{i}]") for i, s in enumerate(request.samples)]
        return await self.ops.create_samples(
            current_caller(), request.dataset_id, drafts, request.request_id,
            lambda created: pb.BatchCreateSamplesResponse(
                samples=[conv.sample_to_proto(s) for s in created]))

    async def GetSample(self, request: pb.GetSampleRequest, context: Context) -> pb.Sample:
        return conv.sample_to_proto(await self.ops.get_sample(request.sample_id))

    async def ListSamples(self, request: pb.ListSamplesRequest,
                          context: Context) -> pb.ListSamplesResponse:
        samples, token, revision = await self.ops.list_samples(
            dataset_id=request.dataset_id, size=request.page_size, token=request.page_token,
            name_contains=request.name_contains,
            metadata_equals=jsondoc.parse_object(request.metadata_filter_json,
                                                 "metadata_filter_json"),
            order_by=request.order_by, as_of=request.as_of_revision,
            assigned_labeler=request.assigned_labeler,
        )
        return pb.ListSamplesResponse(samples=[conv.sample_to_proto(s) for s in samples],
                                      next_page_token=token, revision=revision)

    async def UpdateSample(self, request: pb.UpdateSampleRequest, context: Context) -> pb.Sample:
        paths = list(request.update_mask.paths)
        needs_attributes = mask_touches(paths, "attributes_json")
        patch = conv.sample_from_proto(request.sample, "sample",
                                       parse_attributes=needs_attributes)
        return await self.ops.update_sample(patch, paths, request.sample.etag,
                                            conv.sample_to_proto)

    async def DeleteSample(self, request: pb.DeleteSampleRequest,
                           context: Context) -> empty_pb2.Empty:
        await self.ops.delete_sample(request.sample_id, request.etag)
        return empty_pb2.Empty()

    async def GetSampleFrames(self, request: pb.GetSampleFramesRequest,
                              context: Context) -> pb.GetSampleFramesResponse:
        task_type, frames = await self.ops.sample_frames(request.sample_id, request.sensor,
                                                         request.as_of_revision)
        return conv.frames_to_proto(request.sample_id, task_type, frames)

    async def CreateLabelSet(self, request: pb.CreateLabelSetRequest,
                             context: Context) -> pb.LabelSet:
        return await self.ops.create_label_set(conv.label_set_from_proto(request.label_set),
                                               conv.label_set_to_proto)

    async def GetLabelSet(self, request: pb.GetLabelSetRequest, context: Context) -> pb.LabelSet:
        label_set = await self.ops.get_label_set(request.dataset_id, request.name)
        return conv.label_set_to_proto(label_set)

    async def ListLabelSets(self, request: pb.ListLabelSetsRequest,
                            context: Context) -> pb.ListLabelSetsResponse:
        sets, token = await self.ops.list_label_sets(request.dataset_id, request.page_size,
                                                     request.page_token)
        return pb.ListLabelSetsResponse(label_sets=[conv.label_set_to_proto(s) for s in sets],
                                        next_page_token=token)

    async def DeleteLabelSet(self, request: pb.DeleteLabelSetRequest,
                             context: Context) -> empty_pb2.Empty:
        await self.ops.delete_label_set(request.dataset_id, request.name)
        return empty_pb2.Empty()

    async def AddCollaborator(self, request: pb.AddCollaboratorRequest,
                              context: Context) -> pb.Collaborator:
        return await self.ops.add_collaborator(conv.collaborator_from_proto(request.collaborator),
                                               conv.collaborator_to_proto)

    async def ListCollaborators(self, request: pb.ListCollaboratorsRequest,
                                context: Context) -> pb.ListCollaboratorsResponse:
        found, token = await self.ops.list_collaborators(request.dataset_id, request.page_size,
                                                         request.page_token)
        return pb.ListCollaboratorsResponse(
            collaborators=[conv.collaborator_to_proto(c) for c in found], next_page_token=token)

    async def UpdateCollaborator(self, request: pb.UpdateCollaboratorRequest,
                                 context: Context) -> pb.Collaborator:
        return await self.ops.update_collaborator(
            conv.collaborator_from_proto(request.collaborator), list(request.update_mask.paths),
            conv.collaborator_to_proto)

    async def RemoveCollaborator(self, request: pb.RemoveCollaboratorRequest,
                                 context: Context) -> empty_pb2.Empty:
        await self.ops.remove_collaborator(request.dataset_id, request.user)
        return empty_pb2.Empty()
