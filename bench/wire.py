"""The fast wire codecs alone (no gRPC, no server), each against protobuf's own encoder
or parser measured in the same run:

- encode: interpolated states written as `StreamFrameStatesResponse` bytes
  (services/interpolation/api/wire.py) for bbox, polygon, keypoints and cuboid tracks,
  against one protobuf object per state serialized by the runtime;
- keyframes: the inline tracks' keyframes read from their wire bytes
  (services/interpolation/api/wire_in.py), against reading the parsed messages;
- release frames: a StreamFrameStates message's frames written as release JSON from its
  wire bytes (services/release/build/frame_layouts.py), against the parser path.

Ends with one JSON line. `--quick` runs smaller sizes (a few seconds).

    .venv/bin/python -m bench.wire [--quick]     (or: make bench-wire)
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.interpolation_engine import bbox_tracks, cuboid_tracks, polygon_tracks  # noqa: E402
from bench.support import emit  # noqa: E402
from framewise.interpolation.v1 import interpolation_pb2 as pb  # noqa: E402
from services.interpolation.api import wire, wire_in  # noqa: E402
from services.interpolation.api.converters import GEOMETRY_OF, keyframes_by_message  # noqa: E402
from services.interpolation.domain import (  # noqa: E402
    FrameBlock,
    Geometry,
    InterpolationPlan,
    Keyframe,
    Track,
)
from services.release.build.frame_layouts import Layouts, frame_texts  # noqa: E402
from services.release.peers import convert as conv  # noqa: E402

CODE_OF = {g: code for code, g in GEOMETRY_OF.items()}


def best(work: Callable[[], object], repeats: int) -> float:
    """The shortest of `repeats` runs, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def keypoint_tracks(n_tracks: int, frame_count: int, per_track: int, seed: int = 4) -> list[Track]:
    rng = np.random.default_rng(seed)
    return [Track(i, 2, Geometry.KEYPOINTS, tuple(
        Keyframe(int(f), coords=rng.uniform(0, 500, (5, 2)),
                 visibility=rng.integers(0, 3, 5).astype(np.int32))
        for f in np.sort(rng.choice(frame_count, per_track, replace=False))))
        for i in range(n_tracks)]


def encoder_of(plan: InterpolationPlan, tracks: list[Track]) -> wire.FrameEncoder:
    return wire.FrameEncoder(plan.track_ids, plan.category_ids, [t.geometry for t in tracks],
                             plan.attributes, plan.track_attributes, plan.attribute_tracks,
                             None)


def by_protobuf(blocks: list[FrameBlock]) -> list[bytes]:
    """The obvious encoder: one protobuf object per state."""
    out = []
    for block in blocks:
        message = pb.StreamFrameStatesResponse(frame_count=1)
        frames = {f: message.frames.add(frame=f) for f in block.frames.tolist()}
        for s in block.states():
            attributes = {**s.attributes, **s.track_attributes}
            frames[s.frame].objects.add(
                track_id=s.track_id, category_id=s.category_id,
                geometry_type=CODE_OF[s.geometry], is_keyframe=s.is_keyframe,
                coordinates=s.coords.reshape(-1).tolist(),
                visibility=[] if s.visibility is None else s.visibility.tolist(),
                attributes_json=json.dumps(attributes, separators=(",", ":"))
                if attributes else "")
        out.append(message.SerializeToString())
    return out


def encode_case(name: str, tracks: list[Track], frames: int, repeats: int,
                figures: dict[str, float]) -> None:
    plan = InterpolationPlan(tracks, frames)
    blocks = list(plan.iter_blocks(0, frames, 64))
    states = sum(sum(len(c) for c in b.columns.values()) for b in blocks)
    encoder = encoder_of(plan, tracks)
    encoder.messages(blocks[0], frames, per_message=64)  # templates built once per request

    def fast() -> None:
        for block in blocks:
            encoder.messages(block, frames, per_message=64)

    rate = states / best(fast, repeats)
    small = blocks[:max(1, len(blocks) // 8)]
    small_states = sum(sum(len(c) for c in b.columns.values()) for b in small)
    baseline = small_states / best(lambda: by_protobuf(small), 1)
    figures[f"encode_{name}_states_per_s"] = rate
    figures[f"encode_{name}_vs_protobuf"] = rate / baseline
    print(f"encode {name:9s} {rate / 1e6:8.2f} M states/s = {rate / baseline:6.1f} x protobuf")


def keyframes_case(repeats: int, n_tracks: int, figures: dict[str, float]) -> None:
    rng = np.random.default_rng(5)
    tracks = [pb.Track(track_id=i, category_id=1, geometry_type=3, keyframes=[
        pb.Keyframe(frame=f * 10, coordinates=rng.random(8).tolist(),
                    visibility=[2, 1, 0, 2] if i % 2 else [],
                    attributes_json='{"a":1}' if f % 3 == 0 else "")
        for f in range(10)]) for i in range(n_tracks)]
    keyframes = n_tracks * 10
    rate = keyframes / best(lambda: wire_in.read_keyframes(tracks), repeats)
    baseline = keyframes / best(lambda: keyframes_by_message(tracks), repeats)
    figures["keyframes_read_per_s"] = rate
    figures["keyframes_read_vs_parsed"] = rate / baseline
    print(f"read keyframes   {rate / 1e6:8.2f} M keyframes/s = {rate / baseline:6.1f} x parsed")


def release_case(repeats: int, frames: int, figures: dict[str, float]) -> None:
    # Keyframes every 100 frames on every track (as bench/release.py): most frames
    # repeat a layout.
    rng = np.random.default_rng(6)
    tracks = [Track(i, 1, Geometry.BBOX, tuple(
        Keyframe(f, coords=np.sort(rng.uniform(0, 1000, (2, 2)), axis=0))
        for f in range(0, frames, 100))) for i in range(50)]
    plan = InterpolationPlan(tracks, frames)
    encoder = encoder_of(plan, tracks)
    messages = [m for block in plan.iter_blocks(0, frames, 100)
                for m in encoder.messages(block, frames, per_message=100)]
    extras = [None] * 100
    layouts = Layouts()
    for data in messages:  # layouts built once, as in a worker process
        frame_texts(data, 2, extras, layouts)

    def fast() -> None:
        for data in messages:
            assert frame_texts(data, 2, extras, layouts) is not None

    def parsed() -> None:
        for data in messages:
            message = pb.StreamFrameStatesResponse.FromString(data)
            [conv.frame_json(s, 2, None) for s in message.frames]

    rate = frames / best(fast, repeats)
    baseline = frames / best(parsed, max(1, repeats // 2))
    figures["release_frames_per_s"] = rate
    figures["release_frames_vs_parsed"] = rate / baseline
    print(f"release frames   {rate / 1e3:8.2f} k frames/s (50 boxes) = "
          f"{rate / baseline:6.1f} x parsed")


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    repeats = 5 if quick else 9
    size = 1 if quick else 4
    figures: dict[str, float] = {}
    encode_case("bbox", bbox_tracks(250 * size, 512, 10), 512, repeats, figures)
    encode_case("polygon", polygon_tracks(60 * size, 512, 10), 512, repeats, figures)
    encode_case("keypoints", keypoint_tracks(60 * size, 512, 10), 512, repeats, figures)
    encode_case("cuboid", cuboid_tracks(250 * size, 512, 10), 512, repeats, figures)
    keyframes_case(repeats, 500 * size, figures)
    release_case(repeats, 500 * size, figures)
    emit({k: round(v, 3) for k, v in figures.items()})


if __name__ == "__main__":
    main()
