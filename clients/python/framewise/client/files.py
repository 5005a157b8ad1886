"""Where downloads and exports land: written to a temporary name, then moved in place, so
a failed transfer never leaves a file that looks complete."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from framewise.client.errors import FramewiseError, invalid
from framewise.client.types import ExportedFile


class DownloadSink:
    """Collects DownloadRelease chunks into `path`, checking offsets and the SHA-256."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = self.path.with_name(self.path.name + ".part")
        self._file = self._partial.open("wb")
        self._hash = hashlib.sha256()
        self.written = 0
        self.total = 0

    def write(self, chunk: Any) -> None:
        if chunk.offset != self.written:
            raise FramewiseError(f"download chunk at offset {chunk.offset}, expected "
                                 f"{self.written}", code="DATA_LOSS")
        self._file.write(chunk.data)
        self._hash.update(chunk.data)
        self.written += len(chunk.data)
        self.total = chunk.total_size

    def finish(self, expected_sha256: str = "") -> Path:
        self._file.close()
        if self.total and self.written != self.total:
            self.abort()
            raise FramewiseError(f"download ended at {self.written} of {self.total} bytes",
                                 code="DATA_LOSS")
        digest = self._hash.hexdigest()
        if expected_sha256 and digest != expected_sha256:
            self.abort()
            raise FramewiseError(f"downloaded file has SHA-256 {digest}, the release says "
                                 f"{expected_sha256}", code="DATA_LOSS")
        self._partial.replace(self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        self._partial.unlink(missing_ok=True)


def _safe_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise invalid("path", f"the export holds an unsafe path {path!r}")
    return relative


class ExportSink:
    """Writes ExportRelease chunks as files under a directory, or into a .zip archive."""

    def __init__(self, destination: str | os.PathLike[str]) -> None:
        self.destination = Path(destination)
        self.files: list[ExportedFile] = []
        self._zip: zipfile.ZipFile | None = None
        self._current: str | None = None
        self._buffer: list[bytes] = []
        if self.destination.suffix == ".zip":
            self.destination.parent.mkdir(parents=True, exist_ok=True)
            self._zip = zipfile.ZipFile(self.destination.with_suffix(".zip.part"), "w",
                                        zipfile.ZIP_DEFLATED)
        else:
            self.destination.mkdir(parents=True, exist_ok=True)

    def write(self, chunk: Any) -> None:
        if self._current is not None and chunk.path != self._current:
            raise FramewiseError(f"export file {self._current!r} ended without its last "
                                 "chunk", code="DATA_LOSS")
        self._current = chunk.path
        self._buffer.append(chunk.data)
        if chunk.end_of_file:
            self._flush()

    def _flush(self) -> None:
        assert self._current is not None
        relative = _safe_relative(self._current)
        data = b"".join(self._buffer)
        if self._zip is not None:
            self._zip.writestr(str(relative), data)
        else:
            target = self.destination.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            partial.replace(target)
        self.files.append(ExportedFile(path=str(relative), size=len(data)))
        self._current, self._buffer = None, []

    def finish(self) -> list[ExportedFile]:
        if self._current is not None:
            self.abort()
            raise FramewiseError(f"export ended inside file {self._current!r}",
                                 code="DATA_LOSS")
        if self._zip is not None:
            self._zip.close()
            self.destination.with_suffix(".zip.part").replace(self.destination)
        return self.files

    def abort(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self.destination.with_suffix(".zip.part").unlink(missing_ok=True)
