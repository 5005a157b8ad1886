"""The release files' store, chosen once from `FRAMEWISE_RELEASE_BLOB_URL`.

- unset: a directory, `FRAMEWISE_RELEASE_BLOB_DIR` (the embedded default of `make run`);
- `file:///path`: a directory at that path;
- `s3://bucket/prefix`: objects in a bucket through the S3 API (storage/s3_blobs.py),
  configured by S3Options (endpoint, region, path-style, credentials).

Nothing else in the service knows which one it has.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from services.release.storage.blobs import BlobStore, DirectoryBlobStore
from services.release.storage.s3_blobs import S3BlobStore, S3Options


def _directory(url: str, default_dir: Path, options: S3Options) -> BlobStore:
    if not url:
        return DirectoryBlobStore(default_dir)
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path:
        raise ValueError(f"FRAMEWISE_RELEASE_BLOB_URL: expected file:///absolute/path, "
                         f"got {url!r}")
    return DirectoryBlobStore(Path(unquote(parts.path)))


def _s3(url: str, default_dir: Path, options: S3Options) -> BlobStore:
    return S3BlobStore.from_url(url, options)


STORES: dict[str, Callable[[str, Path, S3Options], BlobStore]] = {
    "": _directory,
    "file": _directory,
    "s3": _s3,
}


def open_blob_store(url: str, default_dir: Path, options: S3Options | None = None) -> BlobStore:
    """The store `url` names (empty: the directory `default_dir`)."""
    scheme = urlsplit(url).scheme.lower() if url else ""
    factory = STORES.get(scheme)
    if factory is None:
        raise ValueError(f"FRAMEWISE_RELEASE_BLOB_URL: unsupported store {url!r} (use "
                         "s3://bucket/prefix, file:///path, or leave it unset)")
    return factory(url, default_dir, options or S3Options())
