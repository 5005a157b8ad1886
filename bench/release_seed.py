"""Bulk seeding of the labeling service's database, for the release benchmark only.

SaveLabel is the way labels get in, and the benchmark uses it first; but on a loaded
2-core machine 100,000 saves can take half an hour. When the measured save rate says
the rest would not fit the seeding budget, the remaining labels are inserted through the
labeling service's own storage model (its tables and revision counter, one revision per
batch, exactly what a save writes), and the benchmark says so. The labels are the same;
only how fast they got there differs, and that is not what this benchmark measures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import insert

from services.labeling.domain.models import LabelStatus
from services.labeling.storage.tables import LabelRow, RevisionCounter
from shared.db import Database
from shared.db.revisions import next_revision

BATCH = 2000


async def insert_labels(database_url: str, dataset_id: str,
                        labels: list[tuple[str, str]], user: str = "bench") -> None:
    """labels: (sample id, label JSON) of the ground-truth label set, status LABELED."""
    db = Database(database_url)
    try:
        for start in range(0, len(labels), BATCH):
            now = datetime.now(UTC)
            async with db.write() as session:
                revision = await next_revision(session, RevisionCounter)
                await session.execute(insert(LabelRow), [
                    {"sample_id": sample_id, "label_set": "ground-truth", "revision": revision,
                     "superseded_revision": None, "dataset_id": dataset_id, "deleted": False,
                     "attributes": json.loads(document), "score": None,
                     "status": LabelStatus.LABELED.value,
                     "max_track_id": 0, "created_by": user, "create_time": now,
                     "updated_by": user, "update_time": now, "reviewed_by": "",
                     "review_time": None}
                    for sample_id, document in labels[start:start + BATCH]])
    finally:
        await db.dispose()
