"""Settings of the release service beyond the shared ServiceConfig.

- `FRAMEWISE_RELEASE_BLOB_URL`: where release files are kept: `s3://bucket/prefix` (an
  object store through the S3 API, what replicas share in production), `file:///path`
  (a directory), or unset: the directory `FRAMEWISE_RELEASE_BLOB_DIR` (default
  `<FRAMEWISE_DATA_DIR>/releases`; replicas would have to share it as a volume). The
  object store's endpoint, region, path-style addressing and credentials: S3Options
  (services/release/storage/s3_blobs.py; `FRAMEWISE_RELEASE_S3_*` and the AWS variables).
- `FRAMEWISE_RELEASE_WORK_DIR`: scratch space of builds (default: the system temp dir).
- `FRAMEWISE_RELEASE_LEASE_S`: how long a build's claim lasts without renewal (default
  60); a release whose builder died is taken over after at most this long.
- `FRAMEWISE_RELEASE_MAX_ATTEMPTS`: builds started before a release is marked FAILED
  (default 3), so a release that crashes its builder cannot loop forever.
- `FRAMEWISE_RELEASE_FORMAT_WORKERS`: processes that format sequence frames (default: the
  number of CPUs, at most 4; 0 formats on the service's own thread).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from services.release.storage.s3_blobs import S3Options
from shared.config import ServiceConfig
from shared.cpus import available_cpus


@dataclass(frozen=True)
class ReleaseSettings:
    blob_dir: Path
    work_dir: Path | None
    lease_s: float
    max_attempts: int
    format_workers: int = 0
    blob_url: str = ""  # empty: the directory blob_dir
    s3: S3Options = field(default_factory=S3Options)

    @classmethod
    def load(cls, config: ServiceConfig) -> ReleaseSettings:
        def env(name: str) -> str:
            return os.environ.get(f"FRAMEWISE_RELEASE_{name}", "").strip()

        work = env("WORK_DIR")
        return cls(
            blob_dir=Path(env("BLOB_DIR") or config.data_dir / "releases"),
            work_dir=Path(work) if work else None,
            lease_s=float(env("LEASE_S") or 60),
            max_attempts=int(env("MAX_ATTEMPTS") or 3),
            format_workers=int(env("FORMAT_WORKERS") or min(4, available_cpus())),
            blob_url=env("BLOB_URL"),
            s3=S3Options.from_env(),
        )
