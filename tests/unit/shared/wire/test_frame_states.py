"""The numpy wire encoder of frame states (services/interpolation/api/wire.py) writes the
messages the protobuf encoder would."""

from __future__ import annotations

import json

import numpy as np

from framewise.interpolation.v1 import interpolation_pb2 as pb
from services.interpolation.api import wire
from services.interpolation.domain import (
    FrameBlock,
    Geometry,
    InterpolationPlan,
    Keyframe,
    Track,
)


def _expected(
    block: FrameBlock, plan: InterpolationPlan, timestamps: np.ndarray | None
) -> list[pb.FrameState]:
    """The obvious way: one protobuf object per state, grouped by geometry, then track."""
    frames = []
    states = block.states()
    order = {g: i for i, g in enumerate(Geometry)}
    for frame in block.frames.tolist():
        message = pb.FrameState(frame=frame)
        if timestamps is not None:
            message.timestamp = float(timestamps[frame])
        here = sorted(
            (s for s in states if s.frame == frame),
            key=lambda s: (order[s.geometry], s.track_index),
        )
        for s in here:
            attributes = {**s.attributes, **s.track_attributes}
            message.objects.add(
                track_id=s.track_id,
                category_id=s.category_id,
                geometry_type=wire.GEOMETRY_TYPE[s.geometry],
                is_keyframe=s.is_keyframe,
                coordinates=s.coords.reshape(-1).tolist(),
                visibility=[] if s.visibility is None else s.visibility.tolist(),
                attributes_json=json.dumps(attributes, separators=(",", ":"), ensure_ascii=False)
                if attributes
                else "",
            )
        frames.append(message)
    return frames


def _tracks() -> list[Track]:
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=float)
    return [
        Track(
            0,
            0,
            Geometry.BBOX,
            (
                Keyframe(0, coords=np.array([[0, 0], [4, 4]], dtype=float)),
                Keyframe(6, coords=np.array([[6, 6], [10, 10.5]]), attributes={"occluded": True}),
            ),
        ),
        Track(
            300,
            200,
            Geometry.BBOX,
            (
                Keyframe(2, coords=np.array([[1, 1], [2, 2]], dtype=float)),
                Keyframe(4, removed=True),
            ),
            track_attributes={"color": "red"},
        ),
        Track(
            7,
            1,
            Geometry.POLYGON,
            (
                Keyframe(1, coords=square),
                Keyframe(
                    5,
                    coords=np.vstack([square, [[5, 15]]]) * 2,
                    attributes={"note": "ünïcode" * 30},
                ),
            ),
        ),
        Track(
            8,
            1,
            Geometry.KEYPOINTS,
            (
                Keyframe(
                    0,
                    coords=np.array([[1, 2], [3, 4], [5, 6]], dtype=float),
                    visibility=np.array([2, 1, 0], dtype=np.int32),
                ),
                Keyframe(
                    7,
                    coords=np.array([[2, 2], [4, 4], [6, 6]], dtype=float),
                    visibility=np.array([0, 2, 2], dtype=np.int32),
                ),
            ),
        ),
        Track(
            9,
            3,
            Geometry.CUBOID,
            (
                Keyframe(0, coords=np.array([0, 0, 0, 1, 2, 3, 3.0, 0, 0, 0, 1])),
                Keyframe(5, coords=np.array([5, 0, 0, 1, 2, 3, -3.0, 0, 0, 1, 0])),
            ),
        ),
        Track(10, 3, Geometry.CUBOID, (Keyframe(3, coords=np.array([1, 1, 1, 1, 1, 1, 0.5])),)),
        Track(
            11,
            4,
            Geometry.POINT,
            (
                Keyframe(0, coords=np.array([[1.0, 2.0, 3.0]])),
                Keyframe(7, coords=np.array([[8.0, 9.0, 10.0]])),
            ),
        ),
    ]


def _encoder(
    plan: InterpolationPlan, tracks: list[Track], timestamps: np.ndarray | None
) -> wire.FrameEncoder:
    return wire.FrameEncoder(
        plan.track_ids,
        plan.category_ids,
        [t.geometry for t in tracks],
        plan.attributes,
        plan.track_attributes,
        plan.attribute_tracks,
        timestamps,
    )


def _encoded(encoder: wire.FrameEncoder, block: FrameBlock, frame_count: int) -> bytes:
    """The block in one message."""
    (message,) = encoder.messages(block, frame_count, per_message=len(block.frames))
    return message


def test_parsed_messages_equal_the_obvious_encoders_for_every_geometry():
    tracks = _tracks()
    timestamps = np.linspace(0, 0.7, 8)
    plan = InterpolationPlan(tracks, 8)
    encoder = _encoder(plan, tracks, timestamps)
    for block in plan.iter_blocks(0, 8, 3):
        encoded = _encoded(encoder, block, 8)
        expected = pb.StreamFrameStatesResponse(
            frames=_expected(block, plan, timestamps), frame_count=8
        )
        parsed = pb.StreamFrameStatesResponse.FromString(encoded)
        assert parsed == expected
        assert parsed.SerializeToString() == expected.SerializeToString()
        assert len(encoded) == len(expected.SerializeToString())


def test_frame_zero_without_timestamps_and_empty_frames():
    tracks = [Track(0, 0, Geometry.BBOX, (Keyframe(3, coords=np.ones((2, 2))),))]
    plan = InterpolationPlan(tracks, 5)
    block = plan.block(0, 5)
    encoded = _encoded(_encoder(plan, tracks, None), block, 5)
    expected = pb.StreamFrameStatesResponse(frames=_expected(block, plan, None), frame_count=5)
    parsed = pb.StreamFrameStatesResponse.FromString(encoded)
    assert parsed == expected
    assert [len(f.objects) for f in parsed.frames] == [0, 0, 0, 1, 1]


def test_large_ids_and_many_states():
    rng = np.random.default_rng(3)
    tracks = [
        Track(
            int(i * 40_000),
            int(i % 300),
            Geometry.BBOX,
            tuple(
                Keyframe(
                    int(f),
                    coords=rng.random((2, 2)) * 1000,
                    attributes={"k": int(f)} if f % 2 else {},
                )
                for f in sorted(rng.choice(50, 4, replace=False))
            ),
        )
        for i in range(40)
    ]
    plan = InterpolationPlan(tracks, 50)
    encoder = _encoder(plan, tracks, None)
    for block in plan.iter_blocks(0, 50, 17):
        encoded = _encoded(encoder, block, 50)
        expected = pb.StreamFrameStatesResponse(frames=_expected(block, plan, None), frame_count=50)
        assert pb.StreamFrameStatesResponse.FromString(encoded) == expected


def test_templates_first_seen_in_a_later_block_beside_known_ones():
    # Track 0 (attributes numbered first) appears in the second block only, beside track 1,
    # whose templates (higher numbers) were built in the first block.
    tracks = [
        Track(1, 0, Geometry.BBOX, (Keyframe(4, coords=np.ones((2, 2))),)),
        Track(0, 0, Geometry.BBOX, (Keyframe(0, coords=np.zeros((2, 2)), attributes={"a": 1}),)),
    ]
    plan = InterpolationPlan(tracks, 8)
    encoder = _encoder(plan, tracks, None)
    for block in plan.iter_blocks(0, 8, 3):
        encoded = _encoded(encoder, block, 8)
        expected = pb.StreamFrameStatesResponse(frames=_expected(block, plan, None), frame_count=8)
        assert pb.StreamFrameStatesResponse.FromString(encoded) == expected


def test_messages_split_by_count_or_size_and_each_parses():
    tracks = _tracks()
    plan = InterpolationPlan(tracks, 8)
    encoder = _encoder(plan, tracks, None)
    block = plan.block(0, 8)
    expected = _expected(block, plan, None)
    for per_message, target in ((3, 0), (0, 1), (0, 300), (0, 1 << 20)):
        messages = encoder.messages(block, 8, per_message, target)
        parsed = [pb.StreamFrameStatesResponse.FromString(m) for m in messages]
        assert [f for p in parsed for f in p.frames] == expected
        assert all(p.frame_count == 8 for p in parsed)
        sizes = [len(p.frames) for p in parsed]
        if per_message:
            assert sizes == [3, 3, 2]
        elif target == 1:
            assert sizes == [1] * 8  # never an empty message
        elif target == 1 << 20:
            assert sizes == [8]
        else:
            # about the target: frames up to 300 bytes, then the 2-byte frame count
            assert len(sizes) > 1
            assert all(len(m) <= 302 or n == 1 for m, n in zip(messages, sizes, strict=True))


def test_negative_and_largest_ids():
    tracks = [
        Track(-5, 2**31 - 1, Geometry.BBOX, (Keyframe(1, coords=np.ones((2, 2))),)),
        Track(2**31 - 1, -(2**31), Geometry.POINT, (Keyframe(0, coords=np.ones((1, 2))),)),
    ]
    plan = InterpolationPlan(tracks, 3)
    block = plan.block(0, 3)
    encoded = _encoded(_encoder(plan, tracks, None), block, 3)
    expected = pb.StreamFrameStatesResponse(frames=_expected(block, plan, None), frame_count=3)
    assert pb.StreamFrameStatesResponse.FromString(encoded) == expected
