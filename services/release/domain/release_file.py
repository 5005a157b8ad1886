"""The release file: the field's JSON release format, laid out one element per line.

The file is one JSON document (DESIGN.md §2; what the segments-ai SDK loads)::

    {"name": ..., "description": ..., "dataset": {"name", "owner", "task_type",
     "task_attributes", "labelsets": [{"name", ...}], ..., "samples": [
       {"uuid", "name", "metadata", "attributes", "labels": {"<set>": {label} | null}},
       ...]}}

Lines are a layout choice of the writer that the reader relies on, so that neither
ever holds more than one line in memory: the header ends with `"samples":[`, then each
sample is one line, except a sample whose labels are streamed frame by frame (sequence
labels written out for every frame), which is split as::

    ,{"uuid":...,"attributes":{...},"labels":{
    "ground-truth":{"label_status":...,"attributes":{"format_version":"0.2","frames":[
    {frame 0}
    ,{frame 1}
    ]}}
    ,"other-set":null
    }}

and the file ends with `]}}`. json.dumps never emits a raw newline, so every line
break is one the writer put there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

SEQUENCE_FORMAT_VERSION = "0.2"
_SAMPLES_OPEN = '"samples":['
_LABELS_OPEN = '"labels":{'
_FRAMES_OPEN = '"frames":['
FRAMES_CLOSE = "]}}"
SAMPLE_CLOSE = "}}"
FOOTER = "]}}\n"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def one_line(text: str, default: str = "{}") -> str:
    """JSON text from another service, safe to embed on one line."""
    if not text:
        return default
    if "\n" in text or "\r" in text:
        return dumps(json.loads(text))
    return text


def header(release: dict[str, Any], dataset: dict[str, Any]) -> str:
    """The first line: the release's own fields, then the dataset up to its samples."""
    head = dumps({**release, "dataset": {**dataset, "samples": []}})
    assert head.endswith(_SAMPLES_OPEN + "]}}")
    return head[:-3] + "\n"


def sample_head(sample_id: str, name: str, metadata_json: str, attributes_json: str,
                extra: dict[str, Any]) -> str:
    """A sample's fields before `labels`, without braces."""
    text = (f'"uuid":{dumps(sample_id)},"name":{dumps(name)},'
            f'"metadata":{one_line(metadata_json)},"attributes":{one_line(attributes_json)}')
    for key, value in extra.items():
        text += f",{dumps(key)}:{dumps(value)}"
    return text


def label_head(fields: dict[str, Any]) -> str:
    """A label's fields before `attributes`, without braces."""
    return dumps(fields)[1:-1]


def whole_label(head: str, attributes_json: str) -> str:
    return f'{{{head},"attributes":{one_line(attributes_json)}}}'


def whole_sample(first: bool, head: str, labels: Iterable[tuple[str, str | None]]) -> str:
    """One line: a sample with its labels (label JSON text, or None for null)."""
    entries = ",".join(f"{dumps(name)}:{text or 'null'}" for name, text in labels)
    return f'{"" if first else ","}{{{head},"labels":{{{entries}}}}}\n'


def sample_open(first: bool, head: str) -> str:
    return f'{"" if first else ","}{{{head},{_LABELS_OPEN}\n'


def label_entry(first: bool, label_set: str, text: str | None) -> str:
    return f'{"" if first else ","}{dumps(label_set)}:{text or "null"}\n'


def frames_open(first: bool, label_set: str, head: str) -> str:
    return (f'{"" if first else ","}{dumps(label_set)}:{{{head},"attributes":'
            f'{{"format_version":"{SEQUENCE_FORMAT_VERSION}",{_FRAMES_OPEN}\n')


def frame(first: bool, text: str) -> str:
    return f'{"" if first else ","}{text}\n'


# Reading


@dataclass(frozen=True)
class Event:
    """One element of a release file, in file order.

    kind: header | sample | sample_start | label | frames_start | frame | frames_end |
    sample_end. `value` is the parsed element (for sample_start, the sample without
    labels; for frames_start, the label with an empty `frames` list).
    """

    kind: str
    value: Any = None
    label_set: str = ""


class MalformedReleaseFile(ValueError):
    pass


def _strip(line: str) -> str:
    return line[1:] if line.startswith(",") else line


def events(lines: Iterable[str]) -> Iterator[Event]:
    """Parses a file written by this module, one line at a time."""
    mode = "top"
    current_set = ""
    for number, raw in enumerate(lines):
        line = raw.rstrip("\n")
        if not line:
            continue
        try:
            if number == 0:
                if not line.endswith(_SAMPLES_OPEN):
                    raise MalformedReleaseFile("the first line is not a release header")
                yield Event("header", json.loads(line + "]}}"))
            elif mode == "top":
                if line == FOOTER.strip():
                    return
                body = _strip(line)
                if body.endswith(_LABELS_OPEN):
                    mode = "labels"
                    yield Event("sample_start", json.loads(body + "}}"))
                else:
                    yield Event("sample", json.loads(body))
            elif mode == "labels":
                if line == SAMPLE_CLOSE:
                    mode = "top"
                    yield Event("sample_end")
                    continue
                body = _strip(line)
                if body.endswith(_FRAMES_OPEN):
                    ((name, label),) = json.loads("{" + body + "]}}}").items()
                    mode, current_set = "frames", name
                    yield Event("frames_start", label, name)
                else:
                    ((name, label),) = json.loads("{" + body + "}").items()
                    yield Event("label", label, name)
            else:  # frames
                if line == FRAMES_CLOSE:
                    mode = "labels"
                    yield Event("frames_end", None, current_set)
                else:
                    yield Event("frame", json.loads(_strip(line)), current_set)
        except (ValueError, KeyError) as exc:
            if isinstance(exc, MalformedReleaseFile):
                raise
            raise MalformedReleaseFile(f"line {number + 1}: {exc}") from exc
    raise MalformedReleaseFile("the file ends before its last line")


@dataclass
class SampleView:
    """A sample and its label in one label set, for exports; `frames` (sequence labels)
    must be consumed before the next sample is read."""

    sample: dict[str, Any]
    label: dict[str, Any] | None
    frames: Iterator[dict[str, Any]] | None


def header_of(stream: Iterator[Event]) -> dict[str, Any]:
    first = next(stream, None)
    if first is None or first.kind != "header":
        raise MalformedReleaseFile("no header")
    return dict(first.value)


def samples(stream: Iterator[Event], label_set: str) -> Iterator[SampleView]:
    """The samples after the header (read with header_of) with their `label_set` label."""
    pending: Iterator[dict[str, Any]] | None = None
    for event in stream:
        if event.kind == "sample":
            sample = event.value
            label = (sample.get("labels") or {}).get(label_set)
            yield SampleView(sample, label, _stored_frames(label))
        elif event.kind == "sample_start":
            sample, label, pending = event.value, None, None
            for inner in stream:
                if inner.kind == "sample_end":
                    break
                if inner.label_set != label_set:
                    if inner.kind == "frames_start":
                        _skip_frames(stream)
                    continue
                if inner.kind == "label":
                    label = inner.value
                elif inner.kind == "frames_start":
                    label = inner.value
                    pending = _frames_of(stream)
                    yield SampleView(sample, label, pending)
                    for _ in pending:  # whatever the consumer left
                        pass
            if pending is None:
                yield SampleView(sample, label, _stored_frames(label))


def _frames_of(stream: Iterator[Event]) -> Iterator[dict[str, Any]]:
    for event in stream:
        if event.kind == "frames_end":
            return
        yield event.value


def _skip_frames(stream: Iterator[Event]) -> None:
    for event in stream:
        if event.kind == "frames_end":
            return


def _stored_frames(label: dict[str, Any] | None) -> Iterator[dict[str, Any]] | None:
    if not label:
        return None
    frames = (label.get("attributes") or {}).get("frames")
    return iter(frames) if isinstance(frames, list) else None
