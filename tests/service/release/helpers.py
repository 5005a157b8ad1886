"""Running the four services together, and what release tests do with them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from framewise.common.v1 import common_pb2
from framewise.dataset.v1 import dataset_pb2 as dpb
from framewise.dataset.v1 import dataset_pb2_grpc
from framewise.interpolation.v1 import interpolation_pb2_grpc
from framewise.labeling.v1 import labeling_pb2 as lpb
from framewise.labeling.v1 import labeling_pb2_grpc
from framewise.release.v1 import release_pb2 as pb
from framewise.release.v1 import release_pb2_grpc
from services.dataset.app import build_server as build_dataset
from services.interpolation.app import build_server as build_interpolation
from services.labeling.app import build_server as build_labeling
from services.release.app import build_server as build_release
from services.release.build.settings import ReleaseSettings
from services.release.storage.s3_blobs import S3BlobStore, S3Options
from shared.config import ServiceConfig
from shared.server import Server
from tests.support.services import running, test_config
from tests.support.tokens import DEFAULT_USER

USER = (("x-test-user", "alice"),)


@dataclass(frozen=True)
class BlobPlace:
    """Where the release service under test keeps release files: its directory (the
    embedded default), or a bucket of an S3-protocol server (`blob_place` fixture)."""

    kind: str = "directory"
    url: str = ""
    s3: S3Options = field(default_factory=S3Options)

    def _bucket(self) -> tuple[S3BlobStore, str]:
        store = S3BlobStore.from_url(self.url, self.s3)
        return store, f"{store.prefix}/" if store.prefix else ""

    def keys(self, settings: ReleaseSettings, start: str = "") -> list[str]:
        """The committed files whose key starts with `start`."""
        if self.kind == "directory":
            return sorted(p.name for p in settings.blob_dir.glob(f"{start}*"))
        store, prefix = self._bucket()
        listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix + start)
        return sorted(o["Key"][len(prefix):] for o in listed.get("Contents", []))

    def partial(self, settings: ReleaseSettings) -> list[str]:
        """Files being written (or left half written): invisible to readers."""
        if self.kind == "directory":
            return sorted(p.name for p in (settings.blob_dir / ".tmp").iterdir())
        store, prefix = self._bucket()
        listed = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix)
        return sorted(u["Key"] for u in listed.get("Uploads", []))


def categories() -> dpb.TaskAttributes:
    return dpb.TaskAttributes(categories=[
        dpb.Category(id=1, name="car", color="#ff0000", attributes=[
            dpb.AttributeDefinition(name="occluded", input_type=dpb.ATTRIBUTE_INPUT_TYPE_CHECKBOX),
            dpb.AttributeDefinition(name="color", input_type=dpb.ATTRIBUTE_INPUT_TYPE_SELECT,
                                    values=["red", "blue"], is_track_level=True),
        ]),
        dpb.Category(id=2, name="person", color="#00ff00"),
    ])


def bbox(annotation_id: int, x: float = 1, category_id: int = 1) -> dict[str, Any]:
    return {"id": annotation_id, "category_id": category_id, "type": "bbox",
            "points": [[x, 2.0], [x + 10, 22.0]], "attributes": {}}


def image_label(*annotations: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": "0.1", "annotations": list(annotations)}


@dataclass
class Suite:
    dataset: dataset_pb2_grpc.DatasetServiceStub
    labeling: labeling_pb2_grpc.LabelingServiceStub
    interpolation: interpolation_pb2_grpc.InterpolationServiceStub
    release: release_pb2_grpc.ReleaseServiceStub
    release_config: ServiceConfig
    settings: ReleaseSettings
    stack: AsyncExitStack
    release_server: Server | None = None
    blobs: BlobPlace = field(default_factory=BlobPlace)
    extra: dict[str, Any] = field(default_factory=dict)

    def release_server_builder(self) -> Any:
        """The running release service's builder (to simulate a builder that died)."""
        assert self.release_server is not None
        servicer_owner = self.release_server.on_stop[-1]
        return servicer_owner.__self__  # type: ignore[attr-defined]

    async def restart_release(self, stop: bool = True) -> None:
        """Stops the release service (gracefully unless `stop` is False: then its builds
        are abandoned as a killed process would) and starts a new one."""
        old = self.release_server
        if old is not None and stop:
            await old.stop(0.2)
        self.release_server, channel = await start_release(self.release_config, self.settings,
                                                           self.stack)
        self.release = release_pb2_grpc.ReleaseServiceStub(channel)

    # datasets, samples, labels
    async def create_dataset(self, task_type: int = common_pb2.TASK_TYPE_VECTOR,
                             name: str = "ds") -> dpb.Dataset:
        dataset = await self.dataset.CreateDataset(dpb.CreateDatasetRequest(
            dataset=dpb.Dataset(name=name, task_type=task_type, task_attributes=categories())),
            metadata=USER)
        # Calls without metadata act as the tests' default user: it administers it too.
        await self.dataset.AddCollaborator(dpb.AddCollaboratorRequest(
            collaborator=dpb.Collaborator(dataset_id=dataset.id, user=DEFAULT_USER,
                                          role=dpb.ROLE_ADMIN)), metadata=USER)
        return dataset

    async def add_images(self, dataset: dpb.Dataset, count: int, prefix: str = "img",
                         size: bool = True) -> list[dpb.Sample]:
        samples = [dpb.Sample(name=f"{prefix}{i:04d}", attributes_json=json.dumps(
            {"image": {"url": f"https://x/{prefix}{i}.jpg",
                       **({"width": 640, "height": 480} if size else {})}}),
            metadata_json=json.dumps({"i": i}))
            for i in range(count)]
        response = await self.dataset.BatchCreateSamples(dpb.BatchCreateSamplesRequest(
            dataset_id=dataset.id, samples=samples), metadata=USER)
        return list(response.samples)

    async def add_sequence(self, dataset: dpb.Dataset, name: str, frames: int) -> dpb.Sample:
        attributes = {"frames": [{"image": {"url": f"https://x/{name}/{i}.jpg", "width": 100,
                                            "height": 100}, "name": f"f{i}",
                                  "timestamp": 1000 + 40 * i} for i in range(frames)]}
        return await self.dataset.CreateSample(dpb.CreateSampleRequest(sample=dpb.Sample(
            dataset_id=dataset.id, name=name, attributes_json=json.dumps(attributes))),
            metadata=USER)

    async def save(self, sample_id: str, document: dict[str, Any], label_set: str = "",
                   status: int = common_pb2.LABEL_STATUS_LABELED) -> lpb.Label:
        return await self.labeling.SaveLabel(lpb.SaveLabelRequest(label=lpb.Label(
            sample_id=sample_id, label_set=label_set, attributes_json=json.dumps(document),
            status=status)), metadata=USER)

    # releases
    async def create_release(self, dataset_id: str, name: str, **fields: Any) -> pb.Release:
        request_id = fields.pop("request_id", "")
        return await self.release.CreateRelease(pb.CreateReleaseRequest(
            release=pb.Release(dataset_id=dataset_id, name=name, **fields),
            request_id=request_id), metadata=USER)

    async def wait(self, release_id: str, timeout_s: float = 60) -> pb.Release:
        for _ in range(int(timeout_s / 0.05)):
            release = await self.release.GetRelease(pb.GetReleaseRequest(release_id=release_id))
            if release.status != pb.RELEASE_STATUS_PENDING:
                return release
            await asyncio.sleep(0.05)
        raise AssertionError(f"release {release_id} still PENDING after {timeout_s}s")

    async def download(self, release_id: str, offset: int = 0, chunk_size: int = 0) -> bytes:
        parts = []
        async for chunk in self.release.DownloadRelease(pb.DownloadReleaseRequest(
                release_id=release_id, offset=offset, chunk_size=chunk_size)):
            parts.append(chunk.data)
        return b"".join(parts)

    async def release_json(self, release_id: str) -> dict[str, Any]:
        return json.loads(await self.download(release_id))

    async def export(self, release_id: str, export_format: int,
                     label_set: str = "") -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        async for piece in self.release.ExportRelease(pb.ExportReleaseRequest(
                release_id=release_id, format=export_format, label_set=label_set)):
            files[piece.path] = files.get(piece.path, b"") + piece.data
        return files


async def start_release(config: ServiceConfig, settings: ReleaseSettings,
                        stack: AsyncExitStack) -> tuple[Server, grpc.aio.Channel]:
    async def build(c: ServiceConfig) -> Server:
        return await build_release(c, settings)

    return await stack.enter_async_context(running(build, config))


@asynccontextmanager
async def suite_running(db_url: str, tmp_path: Path, *, lease_s: float = 60,
                        max_attempts: int = 3,
                        databases: dict[str, str] | None = None,
                        blobs: BlobPlace | None = None) -> AsyncIterator[Suite]:
    """The four services; the release service on `db_url`, the dataset and labeling
    services on `databases[name]` where given, else on SQLite files of their own; its
    files where `blobs` says (default: a directory)."""
    blobs = blobs or BlobPlace()
    def sqlite(name: str) -> str:
        return (databases or {}).get(name) or f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"

    async with AsyncExitStack() as stack:
        dataset_server, dataset_channel = await stack.enter_async_context(
            running(build_dataset, test_config("dataset", sqlite("dataset"), tmp_path)))
        peers = {"dataset": f"127.0.0.1:{dataset_server.port}"}
        labeling_server, labeling_channel = await stack.enter_async_context(
            running(build_labeling, test_config("labeling", sqlite("labeling"), tmp_path, peers)))
        peers["labeling"] = f"127.0.0.1:{labeling_server.port}"
        interpolation_server, interpolation_channel = await stack.enter_async_context(
            running(build_interpolation,
                    test_config("interpolation", sqlite("unused"), tmp_path, peers)))
        peers["interpolation"] = f"127.0.0.1:{interpolation_server.port}"
        config = test_config("release", db_url, tmp_path, peers)
        settings = ReleaseSettings(blob_dir=tmp_path / "blobs", work_dir=tmp_path,
                                   lease_s=lease_s, max_attempts=max_attempts, format_workers=1,
                                   blob_url=blobs.url, s3=blobs.s3)
        release_server, release_channel = await start_release(config, settings, stack)
        yield Suite(
            dataset=dataset_pb2_grpc.DatasetServiceStub(dataset_channel),
            labeling=labeling_pb2_grpc.LabelingServiceStub(labeling_channel),
            interpolation=interpolation_pb2_grpc.InterpolationServiceStub(interpolation_channel),
            release=release_pb2_grpc.ReleaseServiceStub(release_channel),
            release_config=config, settings=settings, stack=stack,
            release_server=release_server, blobs=blobs,
        )
