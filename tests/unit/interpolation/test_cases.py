"""Hand-made cases and the named traps of DESIGN §6, each checked against the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.interpolation.domain import Geometry, InterpolationOptions, frame_state

from .helpers import assert_matches_reference, engine_states, kf, track, wrapped

BOX_A = [[0.0, 0.0], [10.0, 20.0]]
BOX_B = [[10.0, 10.0], [30.0, 40.0]]


def cuboid(yaw: float, quat: list[float] | None = None, pos: float = 0.0) -> list[float]:
    return [pos, 2 * pos, 0.5, 4.0, 2.0, 1.5, yaw, *(quat or [])]


def by_frame(states: list) -> dict[int, object]:
    return {s.frame: s for s in states}


def test_bbox_interpolates_linearly_and_holds() -> None:
    t = track(Geometry.BBOX, kf(2, BOX_A), kf(6, BOX_B))
    states = by_frame(assert_matches_reference([t], 10))
    assert sorted(states) == list(range(2, 10))  # absent before the first keyframe
    np.testing.assert_allclose(states[4].coords, [[5.0, 5.0], [20.0, 30.0]])
    assert states[2].is_keyframe and states[6].is_keyframe and not states[4].is_keyframe
    for f in (7, 8, 9):  # held to the end, exactly
        assert states[f].coords.tobytes() == np.asarray(BOX_B).tobytes()
        assert not states[f].is_keyframe


def test_keyframes_come_back_bit_for_bit() -> None:
    odd = [[0.1, -0.0], [1 / 3, 2.0**-1074]]  # -0.0 and a subnormal survive
    t = track(Geometry.BBOX, kf(0, odd), kf(5, BOX_B))
    states = by_frame(assert_matches_reference([t], 6))
    assert states[0].coords.tobytes() == np.asarray(odd).tobytes()
    assert math.copysign(1.0, states[0].coords[0, 1]) == -1.0


def test_single_keyframe_absent_before_held_after() -> None:
    t = track(Geometry.POINT, kf(3, [[1.0, 2.0]]))
    states = by_frame(assert_matches_reference([t], 8))
    assert sorted(states) == [3, 4, 5, 6, 7]
    assert [states[f].is_keyframe for f in range(3, 8)] == [True, False, False, False, False]


def test_adjacent_keyframes_have_nothing_between() -> None:
    t = track(Geometry.BBOX, kf(3, BOX_A), kf(4, BOX_B))
    states = by_frame(assert_matches_reference([t], 6))
    assert states[3].is_keyframe and states[4].is_keyframe
    assert states[3].coords.tobytes() == np.asarray(BOX_A).tobytes()


def test_remove_keyframe_directly_after_a_keyframe() -> None:
    t = track(Geometry.BBOX, kf(5, BOX_A), kf(6, removed=True), kf(9, BOX_B))
    states = by_frame(assert_matches_reference([t], 12))
    assert sorted(states) == [5, 9, 10, 11]


def test_state_before_a_remove_is_held_not_interpolated() -> None:
    t = track(Geometry.BBOX, kf(0, BOX_A), kf(4, removed=True), kf(6, BOX_B))
    states = by_frame(assert_matches_reference([t], 8))
    assert sorted(states) == [0, 1, 2, 3, 6, 7]
    assert states[3].coords.tobytes() == np.asarray(BOX_A).tobytes()


def test_unsorted_keyframes_are_sorted() -> None:
    t = track(Geometry.BBOX, kf(6, BOX_B), kf(2, BOX_A))
    states = by_frame(assert_matches_reference([t], 8))
    np.testing.assert_allclose(states[4].coords, [[5.0, 5.0], [20.0, 30.0]])


def test_yaw_turn_of_exactly_pi_goes_counter_clockwise() -> None:
    for end in (math.pi, -math.pi):
        t = track(Geometry.CUBOID, kf(0, cuboid(0.0)), kf(10, cuboid(end)))
        states = by_frame(assert_matches_reference([t], 11))
        assert states[5].coords[6] == pytest.approx(math.pi / 2, abs=1e-12)
        yaws = [states[f].coords[6] for f in range(10)]
        assert all(0.0 <= y <= math.pi for y in yaws)  # never spins
        assert yaws == sorted(yaws)
        assert states[10].coords[6] == end  # the keyframe keeps its own sign


def test_yaw_near_pi_takes_the_short_way() -> None:
    t = track(Geometry.CUBOID, kf(0, cuboid(3.1)), kf(10, cuboid(-3.1)))
    states = by_frame(assert_matches_reference([t], 11))
    for f in range(11):
        y = states[f].coords[6]
        assert -math.pi <= y <= math.pi
        assert abs(y) >= 3.1 - 1e-12  # through pi, not through 0
    assert abs(wrapped(states[5].coords[6] - math.pi)) < 1e-12


def test_quaternion_and_its_negation_do_not_rotate() -> None:
    q = np.array([0.1, 0.2, 0.3, 0.9])
    q /= np.linalg.norm(q)
    t = track(Geometry.CUBOID, kf(0, cuboid(0.0, list(q))), kf(8, cuboid(0.0, list(-q))))
    for s in assert_matches_reference([t], 9):
        r = s.coords[7:]
        assert min(np.abs(r - q).max(), np.abs(r + q).max()) < 1e-12


def test_quaternion_half_turn_slerps() -> None:
    t = track(Geometry.CUBOID, kf(0, cuboid(0.0, [0, 0, 0, 1])), kf(10, cuboid(0.0, [0, 0, 1, 0])))
    states = by_frame(assert_matches_reference([t], 11))
    h = math.sqrt(0.5)
    np.testing.assert_allclose(states[5].coords[7:], [0, 0, h, h], atol=1e-12)
    for s in states.values():
        assert np.linalg.norm(s.coords[7:]) == pytest.approx(1.0, abs=1e-12)


def test_nearly_parallel_quaternions_lerp() -> None:
    q1 = np.array([0.0, 0.0, 1e-4, 1.0])
    q1 /= np.linalg.norm(q1)
    t = track(Geometry.CUBOID, kf(0, cuboid(0.0, [0, 0, 0, 1])), kf(4, cuboid(0.0, list(q1))))
    assert_matches_reference([t], 5)


def test_cuboid_extrapolation() -> None:
    t = track(Geometry.CUBOID, kf(0, cuboid(0.0, pos=0.0)), kf(2, cuboid(0.5, pos=1.0)))
    opts = InterpolationOptions(extrapolate_cuboid_position=True)
    states = by_frame(assert_matches_reference([t], 6, options=opts))
    np.testing.assert_allclose(states[5].coords[:3], [2.5, 5.0, 0.5])
    assert states[5].coords[3:7].tobytes() == np.asarray(cuboid(0.5))[3:7].tobytes()
    held = by_frame(assert_matches_reference([t], 6))
    assert held[5].coords.tobytes() == np.asarray(cuboid(0.5, pos=1.0)).tobytes()


def test_no_extrapolation_across_a_remove() -> None:
    t = track(Geometry.CUBOID, kf(0, cuboid(0.0)), kf(1, removed=True), kf(2, cuboid(0.5, pos=1.0)))
    opts = InterpolationOptions(extrapolate_cuboid_position=True)
    states = by_frame(assert_matches_reference([t], 6, options=opts))
    assert states[5].coords.tobytes() == np.asarray(cuboid(0.5, pos=1.0)).tobytes()


def _square(start: int = 0, reverse: bool = False) -> np.ndarray:
    pts = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 3.0], [1.0, 5.0], [0.0, 3.0]])
    if reverse:
        pts = pts[::-1]
    return np.roll(pts, -start, axis=0)


@pytest.mark.parametrize("start,reverse", [(0, False), (2, False), (1, True), (3, True)])
def test_relabeled_polygon_stays_the_same_shape(start: int, reverse: bool) -> None:
    t = track(Geometry.POLYGON, kf(0, _square()), kf(10, _square(start, reverse)))
    states = by_frame(assert_matches_reference([t], 11))
    for f in range(1, 10):
        np.testing.assert_allclose(states[f].coords, _square(), atol=1e-12)


def test_reversed_polyline_is_aligned() -> None:
    line = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 1.0]])
    t = track(Geometry.POLYLINE, kf(0, line), kf(4, line[::-1]))
    states = by_frame(assert_matches_reference([t], 5))
    np.testing.assert_allclose(states[2].coords, line, atol=1e-12)


def test_polygon_vertex_counts_are_equalised() -> None:
    tri = [[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]]
    pent = [[0.0, 0.0], [3.0, -1.0], [6.0, 0.0], [3.0, 3.0], [0.0, 6.0]]
    t = track(Geometry.POLYGON, kf(0, tri), kf(4, pent), kf(8, tri))
    states = by_frame(assert_matches_reference([t], 9))
    assert states[0].coords.shape == (3, 2) and states[4].coords.shape == (5, 2)
    assert states[2].coords.shape == (5, 2) and states[6].coords.shape == (5, 2)
    # the triangle's longest edge (the closing one... no: (6,0)->(0,6)) gets split first
    np.testing.assert_allclose(states[2].coords[0], [0.0, 0.0])


def test_polyline_closing_edge_does_not_count() -> None:
    line = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]  # closing edge would be the longest
    longer = [[0.0, 0.0], [1.0, 0.0], [1.5, 0.5], [1.0, 1.0]]
    assert_matches_reference([track(Geometry.POLYLINE, kf(0, line), kf(4, longer))], 5)
    assert_matches_reference([track(Geometry.POLYGON, kf(0, line), kf(4, longer))], 5)


def test_3d_polygons() -> None:
    a = [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 2.0]]
    b = [[0.0, 0.0, 1.0], [2.0, 0.0, 1.0], [2.0, 2.0, 1.0], [0.0, 2.0, 1.0]]
    assert_matches_reference([track(Geometry.POLYGON, kf(0, a), kf(3, b))], 5)


def test_keypoints_blend_and_visibility_steps() -> None:
    a = kf(0, [[0.0, 0.0], [2.0, 2.0]], visibility=np.array([2, 0], dtype=np.int32))
    b = kf(4, [[4.0, 4.0], [6.0, 2.0]], visibility=np.array([1, 2], dtype=np.int32))
    states = by_frame(assert_matches_reference([track(Geometry.KEYPOINTS, a, b)], 6))
    np.testing.assert_allclose(states[2].coords, [[2.0, 2.0], [4.0, 2.0]])
    assert states[3].visibility.tolist() == [2, 0]
    assert states[4].visibility.tolist() == [1, 2]


def test_interpolation_by_timestamps() -> None:
    ts = np.array([0.0, 1.0, 1.5, 4.0, 5.0])
    t = track(Geometry.POINT, kf(0, [[0.0, 0.0]]), kf(4, [[10.0, 20.0]]))
    opts = InterpolationOptions(by_timestamp=True)
    states = by_frame(assert_matches_reference([t], 5, timestamps=ts, options=opts))
    np.testing.assert_allclose(states[2].coords, [[3.0, 6.0]])
    np.testing.assert_allclose(states[3].coords, [[8.0, 16.0]])
    by_index = by_frame(assert_matches_reference([t], 5, timestamps=ts))
    np.testing.assert_allclose(by_index[2].coords, [[5.0, 10.0]])


def test_attributes_step_and_track_attributes_are_constant() -> None:
    first, second = {"occluded": False}, {"occluded": True}
    shared = {"color": "red"}
    t = track(
        Geometry.BBOX,
        kf(0, BOX_A, attributes=first),
        kf(4, BOX_B, attributes=second),
        track_attributes=shared,
        category_id=3,
    )
    states = by_frame(assert_matches_reference([t], 7))
    assert [states[f].attributes is first for f in range(4)] == [True] * 4
    assert all(states[f].attributes is second for f in range(4, 7))
    assert all(s.track_attributes is shared and s.category_id == 3 for s in states.values())


def test_several_geometries_in_one_request() -> None:
    tracks = [
        track(Geometry.POLYGON, kf(1, _square()), kf(5, _square(2)), track_id=10),
        track(Geometry.BBOX, kf(0, BOX_A), kf(4, BOX_B), track_id=11),
        track(Geometry.CUBOID, kf(2, cuboid(1.0)), kf(3, cuboid(-1.0)), track_id=12),
        track(Geometry.BBOX, kf(3, BOX_B), kf(5, removed=True), track_id=13),
    ]
    states = assert_matches_reference(tracks, 7, block_frames=3)
    assert [s.track_index for s in states if s.frame == 3] == [0, 1, 2, 3]


def test_empty_track_and_empty_request() -> None:
    assert engine_states([track(Geometry.BBOX)], 5) == []
    assert engine_states([], 5) == []
    assert engine_states([], 0) == []


def test_frame_state_is_one_frame_of_the_run() -> None:
    tracks = [track(Geometry.BBOX, kf(0, BOX_A), kf(8, BOX_B))]
    block = frame_state(tracks, 10, 3)
    assert block.frames.tolist() == [3]
    (state,) = block.states()
    full = by_frame(engine_states(tracks, 10))
    assert state.coords.tobytes() == full[3].coords.tobytes()


def test_alignment_tie_keeps_no_shift() -> None:
    diamond = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]
    square = [[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]  # shifts 0 and 3 tie
    t = track(Geometry.POLYGON, kf(0, diamond), kf(2, square))
    states = by_frame(assert_matches_reference([t], 3))
    np.testing.assert_allclose(
        states[1].coords, [[1.0, 0.5], [-0.5, 1.0], [-1.0, -0.5], [0.5, -1.0]]
    )


def test_equalise_tie_splits_the_lowest_edge() -> None:
    tri = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0]]  # edges 0 and 1 tie (length 2)
    quad = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [1.0, 1.0]]
    t = track(Geometry.POLYLINE, kf(0, tri), kf(2, quad))
    states = by_frame(assert_matches_reference([t], 3))
    # the polyline gains (1, 0) on edge 0, and quad is kept in its direction
    np.testing.assert_allclose(states[1].coords, [[0.0, 0.0], [1.5, 0.0], [2.0, 1.0], [1.5, 1.5]])
