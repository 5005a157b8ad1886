"""Where release files live: a small interface, and a directory behind it.

Writers write to a temporary object and commit: the file appears whole (with its size
and SHA-256 known) or not at all. The object store behind the same interface is
storage/s3_blobs.py; storage/blob_stores.py chooses one from the configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol


@dataclass(frozen=True)
class BlobInfo:
    size: int
    sha256: str


class BlobWriter(Protocol):
    """Bytes going into one blob; `info` is set once the blob is committed."""

    info: BlobInfo | None

    def write(self, data: bytes) -> None: ...

    @property
    def size(self) -> int: ...


class BlobStore(Protocol):
    def writer(self, key: str) -> AbstractContextManager[BlobWriter]: ...

    def size(self, key: str) -> int | None: ...

    def chunks(self, key: str, offset: int, chunk_size: int) -> AsyncIterator[bytes]: ...

    def open(self, key: str) -> AbstractContextManager[IO[bytes]]: ...

    def delete(self, key: str) -> None: ...

    def remove_leftovers(self, older_than_s: float = 600.0) -> int: ...

    def presigned_url(self, key: str, expires_in_s: int,
                      filename: str | None = None) -> tuple[str, datetime] | None:
        """A URL that reads the blob without credentials, and when it expires; None
        where the store cannot hand one out."""
        ...


class DirectoryWriter:
    """Writes a temporary file beside the target, hashing as it goes."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self._size = 0
        self.info: BlobInfo | None = None

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._hash.update(data)
        self._size += len(data)

    @property
    def size(self) -> int:
        return self._size

    def _finish(self) -> BlobInfo:
        self.info = BlobInfo(self._size, self._hash.hexdigest())
        return self.info


class DirectoryBlobStore:
    """Blobs as files of one directory (`FRAMEWISE_RELEASE_BLOB_DIR`); temporary files
    in its `.tmp/` subdirectory, renamed into place (atomic on one file system)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / ".tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    @contextmanager
    def writer(self, key: str) -> Iterator[DirectoryWriter]:
        target = self._path(key)
        partial = self.tmp / f"{key}.{uuid.uuid4().hex}.part"
        try:
            with open(partial, "wb", buffering=1024 * 1024) as handle:
                writer = DirectoryWriter(handle)
                yield writer
                handle.flush()
                os.fsync(handle.fileno())
            writer._finish()
            os.replace(partial, target)
            _fsync_directory(self.root)
        finally:
            partial.unlink(missing_ok=True)

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    async def chunks(self, key: str, offset: int, chunk_size: int) -> AsyncIterator[bytes]:
        # Reads on a worker thread: a slow disk never stalls the event loop.
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            handle.seek(offset)
            while data := await asyncio.to_thread(handle.read, chunk_size):
                yield data
        finally:
            handle.close()

    @contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        with open(self._path(key), "rb") as handle:
            yield handle

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def presigned_url(self, key: str, expires_in_s: int,
                      filename: str | None = None) -> tuple[str, datetime] | None:
        return None  # files of one directory have no URL a client could reach

    def remove_leftovers(self, older_than_s: float = 600.0) -> int:
        """Temporary files of builds that died, called at startup. Only old ones: other
        replicas sharing the directory may be writing theirs right now."""
        count = 0
        horizon = time.time() - older_than_s
        for partial in self.tmp.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if partial.stat().st_mtime < horizon:
                    partial.unlink()
                    count += 1
        return count


def _fsync_directory(path: Path) -> None:
    # Makes the rename itself durable (POSIX); harmless where unsupported.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
