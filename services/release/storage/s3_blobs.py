"""Release files in an object store, through the S3 API (AWS S3, MinIO, Ceph RGW, GCS).

The same BlobStore interface as the directory (services/release/storage/blobs.py):

- A writer buffers up to one part (at least S3's 5 MiB minimum) and uploads full parts
  of a multipart upload on a background thread, at most `MAX_IN_FLIGHT` at once: memory
  stays bounded by (1 + MAX_IN_FLIGHT) parts whatever the file's size. A file smaller
  than one part goes up in one PUT. The object appears whole or not at all: S3 shows a
  multipart upload only once it is completed; an exception inside the writer aborts the
  upload; a writer that dies leaves an invisible pending upload, aborted by
  `remove_leftovers` at the next start (and by a bucket lifecycle rule, README).
- The SHA-256 is computed while writing (BlobInfo), as the directory does.
- `chunks` reads with ranged GETs from any offset, and reopens the range where it broke
  if a connection drops (pinned to the object's ETag, so a resumed read never mixes two
  versions); `open` gives a seekable file object over ranged GETs (no local copy).
- `presigned_url` signs a time-limited GET, so a client downloads straight from the store.

boto3 is called synchronously: the writer from the build (on the event loop thread,
with uploads on its own threads), `open` from the exporters' worker threads, the rest
through `asyncio.to_thread` by the callers that run on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, cast
from urllib.parse import urlsplit

import boto3
import botocore.config
import botocore.exceptions

from services.release.storage.blobs import BlobInfo

log = logging.getLogger("framewise.release.s3")

MIN_PART = 5 * 1024 * 1024  # S3's minimum part size (every part but the last)
DEFAULT_PART = 8 * 1024 * 1024
MAX_PARTS = 10_000  # S3's limit
MAX_IN_FLIGHT = 2  # parts uploading at once per writer, besides the one being filled
READ_RETRIES = 3
MAX_URL_EXPIRY_S = 7 * 24 * 3600  # SigV4's limit


@dataclass(frozen=True)
class S3Options:
    """How to reach the store; None leaves a value to boto3's usual chain (AWS_* variables,
    shared config files, instance or pod identity)."""

    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool = False
    # Where clients reach the store, when not where the service does (a cluster-internal
    # MinIO behind a public host name): pre-signed URLs are signed for this endpoint.
    public_endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    part_size: int = DEFAULT_PART

    @classmethod
    def from_env(cls) -> S3Options:
        def env(name: str) -> str | None:
            return os.environ.get(name, "").strip() or None

        path_style = (env("FRAMEWISE_RELEASE_S3_PATH_STYLE") or "false").lower()
        if path_style not in ("1", "true", "yes", "0", "false", "no"):
            raise ValueError(f"FRAMEWISE_RELEASE_S3_PATH_STYLE: true or false, not {path_style!r}")
        part_mib = env("FRAMEWISE_RELEASE_S3_PART_MIB")
        try:
            part_size = int(part_mib) * 1024 * 1024 if part_mib else DEFAULT_PART
        except ValueError:
            raise ValueError(f"FRAMEWISE_RELEASE_S3_PART_MIB: not an integer: {part_mib!r}") \
                from None
        if part_size < MIN_PART:
            raise ValueError("FRAMEWISE_RELEASE_S3_PART_MIB: at least 5 (S3's minimum part)")
        return cls(
            # AWS_ENDPOINT_URL and AWS_REGION / AWS_DEFAULT_REGION are read by boto3 itself.
            endpoint_url=env("FRAMEWISE_RELEASE_S3_ENDPOINT"),
            region=env("FRAMEWISE_RELEASE_S3_REGION"),
            path_style=path_style in ("1", "true", "yes"),
            public_endpoint_url=env("FRAMEWISE_RELEASE_S3_PUBLIC_ENDPOINT"),
            part_size=part_size,
        )


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix without slashes at its ends)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"FRAMEWISE_RELEASE_BLOB_URL: expected s3://bucket/prefix, got {url!r}")
    return parts.netloc, parts.path.strip("/")


def _client(options: S3Options, endpoint_url: str | None) -> Any:
    config = botocore.config.Config(
        region_name=options.region,
        signature_version="s3v4",
        s3={"addressing_style": "path" if options.path_style else "auto"},
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=32,
        # Checksums only where an operation requires them: the CRC32 trailers newer
        # botocore sends by default are refused by GCS and by some MinIO and Ceph versions.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(
        aws_access_key_id=options.access_key_id,
        aws_secret_access_key=options.secret_access_key,
        aws_session_token=options.session_token,
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _missing(exc: botocore.exceptions.ClientError) -> bool:
    return _code(exc) in ("404", "NoSuchKey", "NotFound")


# What a dropped connection raises while a body is read: read again from where it broke.
_BROKEN_READ = (botocore.exceptions.ResponseStreamingError,
                botocore.exceptions.ReadTimeoutError,
                botocore.exceptions.ConnectionError,
                ConnectionError)


class S3BlobStore:
    """Blobs as objects `<prefix>/<key>` of one bucket."""

    def __init__(self, bucket: str, prefix: str = "", options: S3Options | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.options = options or S3Options()
        if self.options.part_size < MIN_PART:
            raise ValueError(f"part size below S3's minimum of {MIN_PART} bytes")
        self.client = _client(self.options, self.options.endpoint_url)
        self.signer = (_client(self.options, self.options.public_endpoint_url)
                       if self.options.public_endpoint_url else self.client)
        # Shared by every writer of this store; each writer bounds its own parts in flight.
        self._uploads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-upload")

    @classmethod
    def from_url(cls, url: str, options: S3Options | None = None) -> S3BlobStore:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, options or S3Options.from_env())

    def object_key(self, key: str) -> str:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"bad blob key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    # writing
    @contextmanager
    def writer(self, key: str) -> Iterator[S3Writer]:
        writer = S3Writer(self, self.object_key(key))
        try:
            yield writer
            writer._commit()
        except BaseException:
            writer._abort()
            raise

    # reading
    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            # boto3 is untyped: head_object returns the response as a dict.
            return cast(dict[str, Any],
                        self.client.head_object(Bucket=self.bucket, Key=self.object_key(key)))
        except botocore.exceptions.ClientError as exc:
            if _missing(exc):
                return None
            raise

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else int(head["ContentLength"])

    def _body(self, key: str, offset: int, etag: str | None) -> tuple[Any, str] | None:
        """The object's bytes from `offset` on (None at or past its end), and its ETag."""
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_key(key),
                                     "Range": f"bytes={offset}-"}
        if etag:
            arguments["IfMatch"] = etag
        try:
            response = self.client.get_object(**arguments)
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "InvalidRange":
                return None
            if _missing(exc):
                raise FileNotFoundError(f"no blob {key!r}") from exc
            raise
        return response["Body"], response["ETag"]

    async def chunks(self, key: str, offset: int, chunk_size: int) -> AsyncIterator[bytes]:
        position = offset
        etag: str | None = None
        body: Any = None
        failures = 0
        try:
            while True:
                if body is None:
                    opened = await asyncio.to_thread(self._body, key, position, etag)
                    if opened is None:
                        return
                    body, etag = opened
                try:
                    data = await asyncio.to_thread(body.read, chunk_size)
                except _BROKEN_READ:
                    failures += 1
                    if failures > READ_RETRIES:
                        raise
                    log.warning("reading %s broke at byte %d; reading on from there", key,
                                position)
                    body.close()
                    body = None
                    continue
                if not data:
                    return
                position += len(data)
                yield data
        finally:
            if body is not None:
                body.close()

    @contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(f"no blob {key!r}")
        raw = RangeReader(self, key, int(head["ContentLength"]), head["ETag"])
        with io.BufferedReader(raw, buffer_size=1024 * 1024) as handle:
            yield handle

    def delete(self, key: str) -> None:
        # Deleting a missing object succeeds in S3: as unlink(missing_ok=True).
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def presigned_url(self, key: str, expires_in_s: int,
                      filename: str | None = None) -> tuple[str, datetime]:
        """A URL that GETs the blob without credentials until the returned time."""
        if not 1 <= expires_in_s <= MAX_URL_EXPIRY_S:
            raise ValueError(f"expiry must be 1 s to {MAX_URL_EXPIRY_S} s")
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        expire_time = datetime.now(UTC) + timedelta(seconds=expires_in_s)
        url = self.signer.generate_presigned_url("get_object", Params=params,
                                                 ExpiresIn=expires_in_s)
        return url, expire_time

    def remove_leftovers(self, older_than_s: float = 600.0) -> int:
        """Aborts the multipart uploads of writers that died (started more than
        `older_than_s` ago, under this store's prefix); called at startup. Recent ones
        may be other replicas' builds in progress, so they are left alone."""
        horizon = datetime.now(UTC) - timedelta(seconds=older_than_s)
        prefix = f"{self.prefix}/" if self.prefix else ""
        count = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] >= horizon:
                    continue
                with contextlib.suppress(botocore.exceptions.ClientError):
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                       UploadId=upload["UploadId"])
                    count += 1
        return count

    def close(self) -> None:
        self._uploads.shutdown(wait=True)


class S3Writer:
    """Bytes going into one object: full parts upload in the background while the
    next fills; committed (or aborted) by S3BlobStore.writer."""

    def __init__(self, store: S3BlobStore, object_key: str) -> None:
        self._store = store
        self._key = object_key
        self._hash = hashlib.sha256()
        self._size = 0
        self._buffer = bytearray()
        self._upload_id: Future[str] | None = None
        self._in_flight: deque[Future[dict[str, Any]]] = deque()
        self._parts: list[dict[str, Any]] = []
        self.info: BlobInfo | None = None

    @property
    def size(self) -> int:
        return self._size

    def _part_size(self) -> int:
        # Parts grow with the part number so 10,000 parts reach far beyond 10,000 x base.
        number = len(self._parts) + len(self._in_flight) + 1
        return self._store.options.part_size * (1 + (number - 1) // 1000)

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self._size += len(data)
        self._buffer += data
        while len(self._buffer) >= (part := self._part_size()):
            chunk = bytes(self._buffer[:part])
            del self._buffer[:part]
            self._send(chunk)

    def _send(self, chunk: bytes) -> None:
        store = self._store
        if self._upload_id is None:
            self._upload_id = store._uploads.submit(self._create)
        number = len(self._parts) + len(self._in_flight) + 1
        if number > MAX_PARTS:
            raise ValueError(f"a blob of more than {MAX_PARTS} parts")
        while len(self._in_flight) >= MAX_IN_FLIGHT:  # bounded memory: wait for the oldest
            self._parts.append(self._in_flight.popleft().result())
        self._in_flight.append(store._uploads.submit(self._upload_part, number, chunk))

    def _create(self) -> str:
        response = self._store.client.create_multipart_upload(Bucket=self._store.bucket,
                                                              Key=self._key)
        return str(response["UploadId"])

    def _upload_part(self, number: int, chunk: bytes) -> dict[str, Any]:
        assert self._upload_id is not None
        upload_id = self._upload_id.result()
        response = self._store.client.upload_part(
            Bucket=self._store.bucket, Key=self._key, UploadId=upload_id, PartNumber=number,
            Body=chunk)
        return {"PartNumber": number, "ETag": response["ETag"]}

    def _commit(self) -> None:
        store = self._store
        if self._upload_id is None:  # smaller than one part: one PUT
            store.client.put_object(Bucket=store.bucket, Key=self._key,
                                    Body=bytes(self._buffer))
        else:
            if self._buffer:
                self._send(bytes(self._buffer))
            self._buffer = bytearray()
            while self._in_flight:
                self._parts.append(self._in_flight.popleft().result())
            store.client.complete_multipart_upload(
                Bucket=store.bucket, Key=self._key, UploadId=self._upload_id.result(),
                MultipartUpload={"Parts": self._parts})
        self._buffer = bytearray()
        self.info = BlobInfo(self._size, self._hash.hexdigest())

    def _abort(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is None:
            return
        for future in self._in_flight:
            future.cancel()
        for future in self._in_flight:  # an upload of a part after its abort would revive it
            with contextlib.suppress(Exception):
                future.result()
        self._in_flight.clear()
        try:
            upload_id = self._upload_id.result()
        except Exception:
            return  # never created: nothing to abort
        try:
            self._store.client.abort_multipart_upload(
                Bucket=self._store.bucket, Key=self._key, UploadId=upload_id)
        except Exception:
            # Left for remove_leftovers and the bucket's lifecycle rule; invisible anyway.
            log.exception("aborting the upload of %s failed", self._key)


class RangeReader(io.RawIOBase):
    """A seekable, read-only file over one object: a ranged GET from the current
    position, kept open while reads are sequential, reopened after a seek."""

    def __init__(self, store: S3BlobStore, key: str, size: int, etag: str) -> None:
        self._store = store
        self._key = key
        self._size = size
        self._etag = etag
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self._position + offset,
                  io.SEEK_END: self._size + offset}[whence]
        if target < 0:
            raise ValueError("negative seek position")
        if target != self._position:
            self._drop()
            self._position = target
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._position >= self._size or not len(view):
            return 0
        for attempt in range(READ_RETRIES + 1):
            if self._body is None:
                opened = self._store._body(self._key, self._position, self._etag)
                if opened is None:
                    return 0
                self._body = opened[0]
            try:
                data = self._body.read(len(view))
                break
            except _BROKEN_READ:
                self._drop()
                if attempt == READ_RETRIES:
                    raise
        view[:len(data)] = data
        self._position += len(data)
        return len(data)

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()
