"""Runs builds in the background and makes sure no release stays PENDING forever.

A PENDING release is built by the replica holding its lease (renewed while building).
At startup, and every lease period after, a replica takes over the PENDING releases
whose lease ran out (their builder was killed) and builds them again from the pinned
revisions; after `max_attempts` starts a release is FAILED instead. A graceful stop gives
the leases up so another replica (or the next start) resumes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from services.release.build.frame_pool import FramePool
from services.release.build.release_build import BuildResult, ReleaseBuild
from services.release.build.settings import ReleaseSettings
from services.release.domain.models import Release, ReleaseStatus
from services.release.peers.clients import Peers
from services.release.storage.blobs import BlobStore
from services.release.storage.repository import ReleaseRepository
from shared.clock import SYSTEM_CLOCK, Clock
from shared.db import Database
from shared.errors import FramewiseError, Unavailable

log = logging.getLogger("framewise.release.builder")

MAX_REASON = 2000
UNAVAILABLE_RETRIES = 3


class Builder:
    def __init__(self, db: Database, blobs: BlobStore, peers: Peers,
                 settings: ReleaseSettings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock  # what leases are compared with and renewed from
        self.blobs = blobs
        self.peers = peers
        self.settings = settings
        self.owner = uuid.uuid4().hex  # this process, as a lease holder
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self.frames = FramePool(settings.format_workers)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_s)

    def start(self, release: Release) -> None:
        """Builds a release we hold the lease of, in the background."""
        task = asyncio.create_task(self._run(release), name=f"release-build-{release.id}")
        self.tasks[release.id] = task
        task.add_done_callback(lambda _: self.tasks.pop(release.id, None))

    async def open(self) -> None:
        """Takes over orphaned builds now, and keeps looking for them periodically."""
        await self.recover()
        self._sweeper = asyncio.create_task(self._sweep(), name="release-sweeper")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for task in list(self.tasks.values()):
            task.cancel()
        for task in list(self.tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(FramewiseError):
            async with self.db.write() as session:
                await ReleaseRepository(session).give_up_leases(self.owner)
        await asyncio.to_thread(self.frames.close)

    async def cancel(self, release_id: str) -> None:
        task = self.tasks.get(release_id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def recover(self) -> int:
        """Claims and restarts every orphaned PENDING release; returns how many."""
        async with self.db.read() as session:
            orphans = await ReleaseRepository(session).orphans(self.clock.now())
        started = 0
        for release_id in orphans:
            if release_id in self.tasks:
                continue
            async with self.db.write() as session:
                claimed = await ReleaseRepository(session).claim(
                    release_id, self.owner, self.clock.now(), self.clock.now() + self.lease)
            if claimed is None:
                continue  # another replica was faster
            if claimed.attempts > self.settings.max_attempts:
                await self._finish(claimed.id, ReleaseStatus.FAILED,
                                   reason=f"the build was interrupted {claimed.attempts - 1} "
                                          "times; create the release again")
                continue
            log.info("resuming the build of release %s (attempt %d)", claimed.id,
                     claimed.attempts)
            self.start(claimed)
            started += 1
        return started

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.settings.lease_s)
            try:
                await self.recover()
            except Exception:  # keep sweeping: one bad pass must not stop recovery
                log.exception("recovering orphaned releases failed")

    async def _heartbeat(self, release_id: str) -> None:
        while True:
            await asyncio.sleep(self.settings.lease_s / 3)
            with contextlib.suppress(FramewiseError):
                async with self.db.write() as session:
                    await ReleaseRepository(session).renew(release_id, self.owner,
                                                           self.clock.now() + self.lease)

    async def _run(self, release: Release) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(release.id))
        try:
            result = await self._build_with_retries(release)
        except asyncio.CancelledError:
            raise  # shutting down or deleted: the lease is given up, not the release
        except FramewiseError as exc:
            log.warning("release %s failed: %s", release.id, exc.message)
            await self._finish(release.id, ReleaseStatus.FAILED, reason=exc.message)
        except Exception as exc:
            log.exception("release %s failed", release.id)
            await self._finish(release.id, ReleaseStatus.FAILED,
                               reason=f"internal error: {type(exc).__name__}: {exc}")
        else:
            ended = await self._finish(release.id, ReleaseStatus.SUCCEEDED,
                                       sample_count=result.sample_count, size=result.size,
                                       sha256=result.sha256)
            if not ended:  # deleted (or taken over) while building: drop what we wrote
                async with self.db.read() as session:
                    still = await ReleaseRepository(session).get(release.id)
                if still is None:
                    await asyncio.to_thread(self._delete_files, release)
        finally:
            heartbeat.cancel()

    async def _build_with_retries(self, release: Release) -> BuildResult:
        """A peer that is briefly unavailable (a restart, a deadline on a loaded node)
        costs a rebuild from the pinned revisions, not the release."""
        for attempt in range(UNAVAILABLE_RETRIES):
            try:
                return await ReleaseBuild(release, self.peers, self.blobs,
                                          self.settings.work_dir, self.frames).run()
            except Unavailable as exc:
                log.warning("release %s: %s; building again", release.id, exc.message)
                await asyncio.sleep(min(30.0, 2.0 * 2 ** attempt))
        return await ReleaseBuild(release, self.peers, self.blobs,
                                  self.settings.work_dir, self.frames).run()

    async def _finish(self, release_id: str, status: ReleaseStatus, *, reason: str = "",
                      sample_count: int = 0, size: int = 0, sha256: str = "") -> bool:
        async with self.db.write() as session:
            return await ReleaseRepository(session).finish(
                release_id, self.owner, status=status, now=self.clock.now(),
                reason=reason[:MAX_REASON],
                sample_count=sample_count, size=size, sha256=sha256)

    def _delete_files(self, release: Release) -> None:
        self.blobs.delete(release.blob_key)
        self.blobs.delete(release.manifest_key)
