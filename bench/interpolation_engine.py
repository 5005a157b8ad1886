"""Benchmark of the keyframe interpolation engine (pure numpy, no gRPC).

Prints states per second for bbox, polygon and cuboid tracks, each also as a ratio against
the scalar reference implementation (tests/unit/interpolation/reference.py) measured in the
same run on a small slice, and ends with one JSON line.

    .venv/bin/python bench/interpolation_engine.py
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.interpolation.domain import (  # noqa: E402
    Geometry,
    InterpolationOptions,
    Keyframe,
    Track,
    iter_frame_blocks,
)


def _reference() -> ModuleType:
    """The scalar reference, loaded by path (tests/ is not a package)."""
    path = ROOT / "tests" / "unit" / "interpolation" / "reference.py"
    spec = importlib.util.spec_from_file_location("interpolation_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _keyframe_frames(rng: np.random.Generator, frame_count: int, count: int) -> np.ndarray:
    return np.sort(rng.choice(frame_count, size=count, replace=False))


def bbox_tracks(n_tracks: int, frame_count: int, per_track: int, seed: int = 1) -> list[Track]:
    rng = np.random.default_rng(seed)
    tracks = []
    for i in range(n_tracks):
        kfs = []
        for f in _keyframe_frames(rng, frame_count, per_track):
            xy = rng.uniform(0, 1000, 2)
            wh = rng.uniform(5, 100, 2)
            kfs.append(Keyframe(int(f), coords=np.array([xy, xy + wh]), attributes={"f": int(f)}))
        tracks.append(Track(i, 1, Geometry.BBOX, tuple(kfs)))
    return tracks


def _polygon(rng: np.random.Generator, vertices: int) -> np.ndarray:
    angles = np.sort(rng.uniform(0, 2 * math.pi, vertices))
    radius = rng.uniform(20, 50, vertices)
    centre = rng.uniform(100, 900, 2)
    return centre + np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius[:, None]


def polygon_tracks(n_tracks: int, frame_count: int, per_track: int, seed: int = 2) -> list[Track]:
    rng = np.random.default_rng(seed)
    tracks = []
    for i in range(n_tracks):
        kfs = tuple(
            Keyframe(int(f), coords=_polygon(rng, int(rng.choice([20, 30]))))
            for f in _keyframe_frames(rng, frame_count, per_track)
        )
        tracks.append(Track(i, 1, Geometry.POLYGON, kfs))
    return tracks


def cuboid_tracks(n_tracks: int, frame_count: int, per_track: int, seed: int = 3) -> list[Track]:
    rng = np.random.default_rng(seed)
    tracks = []
    for i in range(n_tracks):
        kfs = []
        for f in _keyframe_frames(rng, frame_count, per_track):
            q = rng.normal(size=4)
            q /= np.linalg.norm(q)
            pose = np.concatenate(
                [rng.uniform(-50, 50, 3), rng.uniform(1, 5, 3), [rng.uniform(-math.pi, math.pi)], q]
            )
            kfs.append(Keyframe(int(f), coords=pose))
        tracks.append(Track(i, 1, Geometry.CUBOID, tuple(kfs)))
    return tracks


def _engine_rate(tracks: Sequence[Track], frame_count: int, repeats: int = 3) -> float:
    """States per second, end to end (validation, precompute, every block), best of runs."""
    best = math.inf
    states = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        states = sum(b.num_states for b in iter_frame_blocks(tracks, frame_count))
        best = min(best, time.perf_counter() - t0)
    return states / best


def _scalar_rate(ref: ModuleType, tracks: Sequence[Track], frame_count: int) -> float:
    t0 = time.perf_counter()
    states = len(ref.reference_states(tracks, frame_count, options=InterpolationOptions()))
    return states / (time.perf_counter() - t0)


def _case(
    ref: ModuleType,
    make: Callable[..., list[Track]],
    n_tracks: int,
    frame_count: int,
    per_track: int,
    slice_tracks: int,
    slice_frames: int,
) -> tuple[float, float]:
    engine = _engine_rate(make(n_tracks, frame_count, per_track), frame_count)
    small = make(slice_tracks, slice_frames, min(per_track, slice_frames))
    return engine, _scalar_rate(ref, small, slice_frames)


def run_engine_bench() -> dict[str, float]:
    ref = _reference()
    bbox, bbox_scalar = _case(ref, bbox_tracks, 1000, 10_000, 10, 20, 500)
    poly, poly_scalar = _case(ref, polygon_tracks, 100, 1000, 10, 5, 200)
    cub, cub_scalar = _case(ref, cuboid_tracks, 1000, 1000, 10, 20, 200)
    return {
        "engine_bbox_states_per_s": bbox,
        "engine_polygon_states_per_s": poly,
        "engine_cuboid_states_per_s": cub,
        "engine_bbox_speedup_vs_scalar": bbox / bbox_scalar,
        "engine_polygon_speedup_vs_scalar": poly / poly_scalar,
        "engine_cuboid_speedup_vs_scalar": cub / cub_scalar,
        "scalar_bbox_states_per_s": bbox_scalar,
        "scalar_polygon_states_per_s": poly_scalar,
        "scalar_cuboid_states_per_s": cub_scalar,
    }


def main() -> None:
    r = run_engine_bench()
    for family, case in (
        ("bbox", "1000 tracks x 10000 frames, 10 keyframes each"),
        ("polygon", "100 tracks x 1000 frames, 20/30-vertex keyframes"),
        ("cuboid", "1000 tracks x 1000 frames, with quaternions"),
    ):
        engine = r[f"engine_{family}_states_per_s"] / 1e6
        print(
            f"{family:8s} {case:50s} engine {engine:9.2f} M states/s"
            f"  scalar {r[f'scalar_{family}_states_per_s'] / 1e3:8.1f} k states/s"
            f"  x{r[f'engine_{family}_speedup_vs_scalar']:,.0f}"
        )
    print(json.dumps({k: round(v, 1) for k, v in r.items()}))


if __name__ == "__main__":
    main()
