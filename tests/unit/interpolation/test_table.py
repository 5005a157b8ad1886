"""The columnar input (TrackTable): the same states as Track objects, value rules checked on
the whole table with the keyframe's field named."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.interpolation.domain import (
    Geometry,
    InterpolationInputError,
    InterpolationPlan,
    TrackTable,
)
from services.interpolation.domain.validation import table_from_tracks

from .helpers import engine_states, kf, track

BOX = [[0.0, 0.0], [1.0, 1.0]]


def _states(tracks_or_table, frame_count: int) -> list[tuple]:
    plan = InterpolationPlan(tracks_or_table, frame_count)
    return [(s.frame, s.track_id, s.is_keyframe, s.coords.tobytes())
            for block in plan.iter_blocks(0, frame_count, 7) for s in block.states()]


def test_select_keeps_the_chosen_tracks_and_their_keyframes() -> None:
    tracks = [
        track(Geometry.BBOX, kf(0, BOX), kf(4, removed=True), kf(6, BOX), track_id=1),
        track(Geometry.KEYPOINTS, kf(1, [[0.0, 0.0]], visibility=np.array([2])),
              kf(5, [[4.0, 2.0]], visibility=np.array([1])), track_id=2),
        track(Geometry.POLYGON, kf(2, [[0, 0], [4, 0], [4, 4.0]]), track_id=3),
    ]
    table = table_from_tracks(tracks)
    chosen = table.select(np.array([False, True, True]))
    assert _states(chosen, 9) == _states(tracks[1:], 9)
    assert _states(table, 9) == _states(tracks, 9)


def _table(**changes) -> TrackTable:
    base = table_from_tracks([
        track(Geometry.BBOX, kf(0, BOX), track_id=1),
        track(Geometry.POINT, kf(1, [[1.0, 2.0]]), kf(3, [[2.0, 2.0]]), track_id=2),
    ])
    return replace(base, **changes)


@pytest.mark.parametrize(("changes", "field"), [
    ({"dimensions": np.array([2, 4])}, "tracks[1].dimensions"),
    # three values for the 2-D point: its dimension says 2
    ({"value_counts": np.array([4, 3, 1]), "values": np.arange(8.0)},
     "tracks[1].keyframes[0].coords"),
    ({"frame": np.array([0, 1, 1])}, "tracks[1].keyframes[1].frame"),
    ({"frame": np.array([0, 1, 12])}, "tracks[1].keyframes[1].frame"),
    ({"values": np.array([0, 0, 1, 1, 1, 2, 2, np.inf])}, "tracks[1].keyframes[1].coords"),
    ({"visibility_counts": np.array([0, 1, 0]), "visibility": np.array([2], np.int32)},
     "tracks[1].keyframes[0].visibility"),
    ({"track_id": np.array([2, 2])}, "tracks[1].track_id"),
])
def test_table_value_rules_name_the_keyframe(changes: dict, field: str) -> None:
    with pytest.raises(InterpolationInputError) as info:
        InterpolationPlan(_table(**changes), 10)
    assert info.value.field == field


def test_a_table_without_tracks_has_no_states() -> None:
    assert engine_states(table_from_tracks([]), 5) == []
