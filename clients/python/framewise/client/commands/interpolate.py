"""`framewise interpolate SAMPLE`: every frame of a stored sequence label, as computed
by the interpolation service, printed as they stream or written as JSON Lines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from framewise.client.commands._common import command
from framewise.client.output import Output, plain
from framewise.client.sync import Client

COLUMNS = ["frame", "timestamp", "track_id", "category_id", "type", "keyframe", "coordinates"]


def register(commands: Any) -> None:
    parser = command(commands, "interpolate", _interpolate,
                     "print or write the frames of a sequence label (keyframes and "
                     "interpolated frames)")
    parser.add_argument("sample", help="sequence sample id")
    parser.add_argument("--label-set", default="ground-truth")
    parser.add_argument("--revision", type=int, default=0, help="label revision (0: now)")
    parser.add_argument("--start", type=int, default=0, help="first frame")
    parser.add_argument("--end", type=int, default=0, help="frame after the last (0: end)")
    parser.add_argument("--track", type=int, action="append", default=[],
                        help="only this track (repeat for more)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="write one JSON object per frame to this .jsonl file")


def _interpolate(client: Client, out: Output, args: argparse.Namespace) -> None:
    frames = client.iter_frames(args.sample, label_set=args.label_set, revision=args.revision,
                                start_frame=args.start, end_frame=args.end,
                                track_ids=args.track)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with args.output.open("w", encoding="utf-8") as lines, \
                out.progress("interpolating", total=None, unit="frames") as update:
            for frame in frames:
                if count == 0 and frame.frame_count:
                    update(total=(args.end or frame.frame_count) - args.start)
                lines.write(json.dumps(plain(frame)) + "\n")
                count += 1
                update(completed=count)
        if out.as_json:
            out.json({"output": str(args.output), "frames": count})
        else:
            out.message(f"wrote {count} frames to {args.output}")
        return
    if out.as_json:
        out.json(list(frames))
        return
    rows = [{"frame": f.frame, "timestamp": f.timestamp, "track_id": o.track_id,
             "category_id": o.category_id, "type": o.geometry_type,
             "keyframe": "yes" if o.is_keyframe else "",
             "coordinates": " ".join(f"{c:.6g}" for c in o.coordinates)}
            for f in frames for o in f.objects]
    out.table(rows, COLUMNS)
