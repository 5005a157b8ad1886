"""framewise.release.v1.ReleaseService over gRPC: protobuf in, protobuf out, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

import grpc
from google.protobuf import empty_pb2

from framewise.release.v1 import release_pb2 as pb
from framewise.release.v1 import release_pb2_grpc
from services.release.api import converters as conv
from services.release.service import ReleaseOperations
from shared.identity import current_caller
from shared.request_limits import enforce_limits

# grpc ships no type information: the servicer context is Any to mypy.
Context: TypeAlias = grpc.aio.ServicerContext

@enforce_limits(pb.DESCRIPTOR.services_by_name["ReleaseService"])
class ReleaseServicer(release_pb2_grpc.ReleaseServiceServicer):
    def __init__(self, operations: ReleaseOperations) -> None:
        self.ops = operations

    async def CreateRelease(self, request: pb.CreateReleaseRequest,
                            context: Context) -> pb.Release:
        caller = current_caller()
        release = await self.ops.create_release(caller, conv.draft_from_proto(request.release),
                                                request.request_id)
        return conv.release_to_proto(release)

    async def GetRelease(self, request: pb.GetReleaseRequest, context: Context) -> pb.Release:
        return conv.release_to_proto(await self.ops.get_release(request.release_id))

    async def ListReleases(self, request: pb.ListReleasesRequest,
                           context: Context) -> pb.ListReleasesResponse:
        found, token = await self.ops.list_releases(request.dataset_id, request.page_size,
                                                    request.page_token)
        return pb.ListReleasesResponse(releases=[conv.release_to_proto(r) for r in found],
                                       next_page_token=token)

    async def DeleteRelease(self, request: pb.DeleteReleaseRequest,
                            context: Context) -> empty_pb2.Empty:
        await self.ops.delete_release(request.release_id)
        return empty_pb2.Empty()

    async def DownloadRelease(self, request: pb.DownloadReleaseRequest,
                              context: Context) -> AsyncIterator[pb.DownloadReleaseResponse]:
        async for data, offset, total in self.ops.download(request.release_id, request.offset,
                                                           request.chunk_size):
            yield pb.DownloadReleaseResponse(data=data, offset=offset, total_size=total)

    async def GetReleaseDownloadUrl(self, request: pb.GetReleaseDownloadUrlRequest,
                                    context: Context) -> pb.GetReleaseDownloadUrlResponse:
        duration = request.expires_in  # whole seconds, a part of one rounded up
        expires = (duration.seconds + (duration.nanos > 0)
                   if request.HasField("expires_in") else None)
        release, url, expire_time = await self.ops.download_url(request.release_id, expires)
        response = pb.GetReleaseDownloadUrlResponse(
            url=url, size_bytes=release.file_size_bytes, content_sha256=release.content_sha256)
        response.expire_time.FromDatetime(expire_time)
        return response

    async def ExportRelease(self, request: pb.ExportReleaseRequest,
                            context: Context) -> AsyncIterator[pb.ExportReleaseResponse]:
        export_format, name = conv.export_format(request.format)
        async for path, data, end in self.ops.export(request.release_id, export_format, name,
                                                     request.label_set):
            yield pb.ExportReleaseResponse(path=path, data=data, end_of_file=end)

    async def DiffReleases(self, request: pb.DiffReleasesRequest,
                           context: Context) -> AsyncIterator[pb.DiffReleasesResponse]:
        async for changes, summary in self.ops.diff(request.base_release_id,
                                                    request.target_release_id):
            response = pb.DiffReleasesResponse(changes=[conv.change_to_proto(c) for c in changes])
            if summary is not None:
                response.summary.CopyFrom(conv.summary_to_proto(summary))
            yield response
