"""Block layout and boundaries: any block size or frame range gives the same states."""

from __future__ import annotations

import numpy as np
import pytest

from services.interpolation.domain import (
    FrameBlock,
    Geometry,
    InterpolationOptions,
    frame_state,
    iter_frame_blocks,
)

from .helpers import kf, track

FRAMES = 40


def mixed_tracks() -> list:
    rng = np.random.default_rng(5)

    def box() -> np.ndarray:
        xy = rng.uniform(0, 50, 2)
        return np.array([xy, xy + rng.uniform(1, 9, 2)])

    def poly(n: int) -> np.ndarray:
        return rng.uniform(0, 10, (n, 2))

    q = [0.0, 0.0, 0.0, 1.0]
    return [
        track(
            Geometry.BBOX,
            kf(3, box()),
            kf(17, box()),
            kf(18, box()),
            kf(30, removed=True),
            kf(33, box()),
            track_id=1,
        ),
        track(Geometry.POLYGON, kf(0, poly(4)), kf(9, poly(6)), kf(25, poly(3)), track_id=2),
        track(
            Geometry.CUBOID,
            kf(5, [0, 0, 0, 1, 1, 1, 3.0, *q]),
            kf(20, [5, 1, 0, 1, 2, 1, -3.0, 0, 0, 1, 0]),
            track_id=3,
        ),
        track(
            Geometry.KEYPOINTS,
            kf(1, poly(3), visibility=np.array([0, 1, 2])),
            kf(12, poly(3), visibility=np.array([2, 2, 0])),
            track_id=4,
        ),
        track(
            Geometry.POLYLINE,
            kf(8, poly(2)),
            kf(9, removed=True),
            kf(14, poly(5)),
            kf(39, poly(2)),
            track_id=5,
        ),
        track(Geometry.BBOX, kf(39, box()), track_id=6),
    ]


def concat(blocks: list[FrameBlock]) -> dict[Geometry, dict[str, np.ndarray]]:
    out: dict[Geometry, dict[str, np.ndarray]] = {}
    for geometry in blocks[0].columns:
        cols = [b.columns[geometry] for b in blocks]
        fields = {
            name: np.concatenate([getattr(c, name) for c in cols])
            for name in ("frame_index", "track_index", "is_keyframe", "attribute_index", "coords")
        }
        if cols[0].vertex_counts is not None:
            fields["vertex_counts"] = np.concatenate([c.vertex_counts for c in cols])
        if cols[0].visibility is not None:
            fields["visibility"] = np.concatenate([c.visibility for c in cols])
        out[geometry] = fields
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for geometry in a:
        for name in a[geometry]:
            x, y = a[geometry][name], b[geometry][name]
            assert x.dtype == y.dtype and x.shape == y.shape, (geometry, name)
            assert x.tobytes() == y.tobytes(), (geometry, name)  # bit for bit


def run(**kwargs: object) -> dict:
    opts = InterpolationOptions(extrapolate_cuboid_position=True)
    return concat(list(iter_frame_blocks(mixed_tracks(), FRAMES, options=opts, **kwargs)))


@pytest.mark.parametrize("block_frames", [1, 7, 256])
def test_block_size_does_not_change_results(block_frames: int) -> None:
    assert_same(run(block_frames=block_frames), run(block_frames=FRAMES))


@pytest.mark.parametrize("start,stop", [(0, 1), (5, 6), (7, 23), (16, 40), (39, 40)])
def test_ranges_are_slices_of_the_whole(start: int, stop: int) -> None:
    whole = run()
    part = run(start=start, stop=stop, block_frames=5)
    for geometry, fields in whole.items():
        n = fields["frame_index"]
        keep = (n >= start) & (n < stop)
        for name, value in fields.items():
            if name in ("coords", "visibility") and "vertex_counts" in fields:
                rows = np.repeat(keep, fields["vertex_counts"])
                expected = value[rows]
            else:
                expected = value[keep]
            assert part[geometry][name].tobytes() == expected.tobytes(), (geometry, name)


def test_frame_state_matches_the_run() -> None:
    opts = InterpolationOptions(extrapolate_cuboid_position=True)
    for f in (0, 9, 21, 39):
        one = concat([frame_state(mixed_tracks(), FRAMES, f, options=opts)])
        assert_same(one, run(start=f, stop=f + 1))


def test_empty_range_yields_no_block() -> None:
    assert list(iter_frame_blocks(mixed_tracks(), FRAMES, start=4, stop=4)) == []


def test_layout() -> None:
    tracks = mixed_tracks()
    block = next(iter_frame_blocks(tracks, FRAMES, start=10, stop=20))
    assert block.frames.tolist() == list(range(10, 20))
    assert list(block.columns) == [
        Geometry.BBOX,
        Geometry.POLYGON,
        Geometry.POLYLINE,
        Geometry.KEYPOINTS,
        Geometry.CUBOID,
    ]
    bbox = block.columns[Geometry.BBOX]
    assert bbox.coords.shape == (len(bbox), 2, 2) and bbox.coords.dtype == np.float64
    assert bbox.frame_index.dtype == np.int64 and bbox.track_index.dtype == np.int64
    assert bbox.is_keyframe.dtype == bool and bbox.vertex_counts is None
    order = np.lexsort((bbox.track_index, bbox.frame_index))
    assert (order == np.arange(len(bbox))).all()  # by frame, then track
    poly = block.columns[Geometry.POLYGON]
    assert poly.coords.shape == (int(poly.vertex_counts.sum()), 2)
    assert poly.vertex_offsets[-1] == poly.coords.shape[0]
    kp = block.columns[Geometry.KEYPOINTS]
    assert kp.visibility.dtype == np.int32 and kp.visibility.shape == (kp.coords.shape[0],)
    assert block.columns[Geometry.CUBOID].coords.shape[1] == 11
    offsets = bbox.frame_offsets(block.frames)
    for i, f in enumerate(block.frames):
        assert (bbox.frame_index[offsets[i] : offsets[i + 1]] == f).all()
    assert block.track_ids[bbox.track_index].tolist() == [
        tracks[i].track_id for i in bbox.track_index
    ]
    attrs = [block.attributes[i] for i in bbox.attribute_index]
    assert all(isinstance(a, dict) for a in attrs)
