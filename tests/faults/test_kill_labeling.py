"""SIGKILL of the labeling service in the middle of concurrent label saves: the callers
see UNAVAILABLE (not a hang), and after a restart on the same database every save that
was acknowledged is there, with the revision and etag it was acknowledged with."""

from __future__ import annotations

import asyncio

import grpc

from tests.support import labelers as lab
from tests.support.processes import ProcessSuite, ready

LABELERS = 16
FRAMES = 30


async def test_acknowledged_saves_survive_a_kill_in_the_middle_of_a_burst(suite: ProcessSuite):
    async with suite.channel("dataset") as datasets, suite.channel("labeling") as labeling:
        dataset, samples = await lab.create_sequence_dataset(datasets, "kill-saves",
                                                             LABELERS * 2, FRAMES)
        labelers = await lab.add_labelers(datasets, labeling, dataset, samples, LABELERS,
                                          FRAMES)
        saving = asyncio.create_task(lab.run_until_failure(labelers, labeling))
        # Kill once the burst is well under way: saves are acknowledged and in flight.
        while sum(labeler.saves for labeler in labelers) < 3 * LABELERS:
            assert not saving.done(), [(x.failure, x.failure_detail) for x in labelers]
            await asyncio.sleep(0.01)
        suite.kill("labeling")
        await asyncio.wait_for(saving, 60)  # the calls fail, none hangs
        acknowledged = sum(labeler.saves for labeler in labelers)
        codes = {labeler.failure for labeler in labelers}
        assert codes == {grpc.StatusCode.UNAVAILABLE}, [
            (x.user, x.failure, x.failure_detail) for x in labelers]

        suite.restart("labeling")
        await ready(labeling)
        assert await lab.verify(labelers, labeling) == acknowledged
        # The same clients carry on over the etags they hold (re-read where the save in
        # flight at the kill landed after all), and nothing is lost either.
        await lab.resync(labelers, labeling)
        await lab.run_for(labelers, labeling, 1.0)
        assert await lab.verify(labelers, labeling) > acknowledged
