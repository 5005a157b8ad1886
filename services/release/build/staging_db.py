"""A build's scratch space: labels keyed by sample id in a temporary SQLite file.

Labels stream from the labeling service ordered by sample id, samples from the dataset
service in creation order; parking both on disk lets the build read them concurrently
and then join them a page at a time, so memory stays flat however large the dataset is.

Each build's directory is locked (flock) while it runs. A killed process leaves its
directory behind but not its lock, so a later start removes exactly the directories of
builds that died (`remove_abandoned`), never those of live builds sharing the work dir.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SCRATCH_PREFIX = "framewise-release-"
LOCK_NAME = "build.lock"


@contextlib.contextmanager
def scratch_space(work_dir: Path | None) -> Iterator[Path]:
    """A build's own directory under `work_dir` (default: the system's temp dir), locked
    while the build runs and removed after it."""
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=work_dir) as name, \
            open(Path(name) / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield Path(name)


def remove_abandoned(work_dir: Path | None) -> int:
    """Removes the scratch directories of builds whose process died; returns how many."""
    root = work_dir or Path(tempfile.gettempdir())
    removed = 0
    for path in root.glob(f"{SCRATCH_PREFIX}*"):
        # No lock file yet: a build just starting (its lock comes right after mkdtemp).
        with contextlib.suppress(FileNotFoundError), open(path / LOCK_NAME) as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live build's
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


@dataclass(frozen=True)
class StagedLabel:
    head: str  # the label's fields before `attributes`, as JSON text without braces
    attributes_json: str
    digest: str


class Staging:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        # Scratch data, rebuilt from scratch on any failure: no journal, no fsync.
        self._db.executescript("""
            PRAGMA journal_mode=OFF;
            PRAGMA synchronous=OFF;
            PRAGMA temp_store=FILE;
            CREATE TABLE labels (sample_id TEXT NOT NULL, label_set TEXT NOT NULL,
                                 head TEXT NOT NULL, attributes TEXT NOT NULL,
                                 digest TEXT NOT NULL,
                                 PRIMARY KEY (sample_id, label_set)) WITHOUT ROWID;
            CREATE TABLE manifest (sample_id TEXT PRIMARY KEY, line TEXT NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE samples (seq INTEGER PRIMARY KEY, sample_id TEXT NOT NULL,
                                  name TEXT NOT NULL, head TEXT NOT NULL);
        """)

    def add_labels(self, label_set: str, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """rows: (sample_id, head, attributes_json, digest)."""
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?)",
            ((sample_id, label_set, head, attributes, digest)
             for sample_id, head, attributes, digest in rows))
        self._db.execute("COMMIT")

    def labels_of(self, sample_ids: Sequence[str]) -> dict[str, dict[str, StagedLabel]]:
        """sample id -> label set -> label, for one page of samples."""
        found: dict[str, dict[str, StagedLabel]] = {}
        for start in range(0, len(sample_ids), 500):  # under SQLite's parameter limit
            chunk = sample_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for sample_id, label_set, head, attributes, digest in self._db.execute(
                    f"SELECT sample_id, label_set, head, attributes, digest FROM labels "
                    f"WHERE sample_id IN ({marks})", chunk):
                found.setdefault(sample_id, {})[label_set] = StagedLabel(head, attributes,
                                                                         digest)
        return found

    def add_samples(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """rows: (sample_id, name, head), in release order."""
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO samples (sample_id, name, head) VALUES (?, ?, ?)",
                             rows)
        self._db.execute("COMMIT")

    def sample_pages(self, size: int) -> Iterator[list[tuple[str, str, str]]]:
        """The staged samples in release order, `size` at a time."""
        last = 0
        while True:
            rows = self._db.execute(
                "SELECT seq, sample_id, name, head FROM samples WHERE seq > ? ORDER BY seq "
                "LIMIT ?", (last, size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [(sample_id, name, head) for _, sample_id, name, head in rows]

    def add_manifest(self, rows: Iterable[tuple[str, str, dict[str, str]]]) -> None:
        """rows: (sample_id, name, label set -> digest)."""
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR REPLACE INTO manifest VALUES (?, ?)",
            ((sample_id, json.dumps([sample_id, name, digests], separators=(",", ":"),
                                    ensure_ascii=False))
             for sample_id, name, digests in rows))
        self._db.execute("COMMIT")

    def manifest_lines(self) -> Iterator[str]:
        """The manifest sorted by sample id, one JSON array per line."""
        for (line,) in self._db.execute("SELECT line FROM manifest ORDER BY sample_id"):
            yield line + "\n"

    def close(self) -> None:
        self._db.close()
