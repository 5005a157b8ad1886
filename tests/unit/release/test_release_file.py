"""The release file's line layout: valid JSON as a whole, read back line by line."""

from __future__ import annotations

import io
import json

import pytest

from services.release.domain import release_file as rf


def _file(*, streamed_second: bool) -> str:
    out = [rf.header({"name": "v1"}, {"name": "ds", "owner": "me", "task_type": "vector",
                                      "labelsets": [{"name": "a"}, {"name": "b"}]})]
    head = rf.sample_head("s1", "one", '{"m": 1}', '{"image": {"url": "u"}}', {"priority": 0})
    label = rf.whole_label(rf.label_head({"label_status": "LABELED"}),
                           '{"annotations": [],\n "x": "new\\nline"}')
    out.append(rf.whole_sample(True, head, [("a", label), ("b", None)]))
    head2 = rf.sample_head("s2", "two", "", "{}", {})
    if streamed_second:
        out.append(rf.sample_open(False, head2))
        out.append(rf.label_entry(True, "a", None))
        out.append(rf.frames_open(False, "b", rf.label_head({"label_status": "REVIEWED"})))
        out += [rf.frame(i == 0, json.dumps({"annotations": [{"id": i}]})) for i in range(3)]
        out.append(rf.FRAMES_CLOSE + "\n")
        out.append(rf.SAMPLE_CLOSE + "\n")
    else:
        out.append(rf.whole_sample(False, head2, [("a", None), ("b", None)]))
    out.append(rf.FOOTER)
    return "".join(out)


@pytest.mark.parametrize("streamed", [False, True])
def test_the_file_is_one_json_document(streamed: bool):
    document = json.loads(_file(streamed_second=streamed))
    assert document["name"] == "v1"
    samples = document["dataset"]["samples"]
    assert [s["uuid"] for s in samples] == ["s1", "s2"]
    assert samples[0]["metadata"] == {"m": 1}
    assert samples[0]["labels"]["a"]["attributes"]["x"] == "new\nline"
    assert samples[0]["labels"]["b"] is None
    assert samples[1]["metadata"] == {}
    if streamed:
        label = samples[1]["labels"]["b"]
        assert label["label_status"] == "REVIEWED"
        assert [f["annotations"][0]["id"] for f in label["attributes"]["frames"]] == [0, 1, 2]
        assert label["attributes"]["format_version"] == "0.2"


@pytest.mark.parametrize("streamed", [False, True])
def test_read_back_per_label_set(streamed: bool):
    text = _file(streamed_second=streamed)
    whole = json.loads(text)["dataset"]["samples"]
    for label_set in ("a", "b"):
        stream = rf.events(io.StringIO(text))
        header = rf.header_of(stream)
        assert header["dataset"]["owner"] == "me" and header["dataset"]["samples"] == []
        views = []
        for view in rf.samples(stream, label_set):
            frames = list(view.frames) if view.frames is not None else None
            views.append((view.sample["uuid"], view.label, frames))
        assert [v[0] for v in views] == ["s1", "s2"]
        for (_, label, frames), expected in zip(views, whole, strict=True):
            wanted = expected["labels"][label_set]
            if wanted is None:
                assert label is None
                continue
            assert label["label_status"] == wanted["label_status"]
            if frames is not None and "frames" in wanted["attributes"]:
                assert frames == wanted["attributes"]["frames"]


def test_unconsumed_frames_are_skipped():
    text = _file(streamed_second=True)
    stream = rf.events(io.StringIO(text))
    rf.header_of(stream)
    assert [v.sample["uuid"] for v in rf.samples(stream, "b")] == ["s1", "s2"]


def test_a_truncated_file_is_malformed():
    text = _file(streamed_second=True)
    with pytest.raises(rf.MalformedReleaseFile):
        list(rf.events(io.StringIO(text[: len(text) // 2].rsplit("\n", 1)[0] + "\n")))
    with pytest.raises(rf.MalformedReleaseFile):
        list(rf.events(io.StringIO('{"not": "a release"}\n')))
