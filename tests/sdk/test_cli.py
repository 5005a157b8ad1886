"""The `framewise` command line against the running suite: uploads, labels, interpolation,
health, and one-line errors with a non-zero exit."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from framewise.client import Client
from framewise.client.cli import main
from tests.sdk.conftest import ROOT, Suite, bbox, sequence_label, unique


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = run(capsys, "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def _touch(*paths: Path) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x89PNG")


@pytest.mark.usefixtures("cli_env")
def test_upload_a_folder_of_images(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   client: Client) -> None:
    _touch(tmp_path / "photos" / "a.jpg", tmp_path / "photos" / "b.png",
           tmp_path / "photos" / "night" / "c.jpeg")
    (tmp_path / "photos" / "notes.txt").write_text("not an image")
    name = unique("photos")
    created = run_json(capsys, "datasets", "create", name, "--task-type", "bboxes",
                       "--category", "1:car:#ff0000", "--category", "2:person")
    assert created["task_type"] == "bboxes"
    samples = run_json(capsys, "samples", "upload", name, str(tmp_path / "photos"),
                       "--url-prefix", "https://cdn.example/photos/", "--batch-size", "2",
                       "--metadata", '{"source": "cli"}')
    assert {s["name"]: s["attributes"]["image"]["url"] for s in samples} == {
        "a.jpg": "https://cdn.example/photos/a.jpg",
        "b.png": "https://cdn.example/photos/b.png",
        "night/c.jpeg": "https://cdn.example/photos/night/c.jpeg"}
    assert all(s["metadata"] == {"source": "cli"} for s in samples)

    code, out, _ = run(capsys, "samples", "list", name)
    assert code == 0 and "night/c.jpeg" in out and samples[0]["id"] in out
    code, out, _ = run(capsys, "datasets", "show", name)
    assert code == 0 and "car" in out and "ground-truth" in out
    listed = run_json(capsys, "datasets", "list", "--name-contains", name)
    assert [d["sample_count"] for d in listed] == [3]

    plain = unique("local")
    run_json(capsys, "datasets", "create", plain, "--task-type", "vector")
    (local,) = run_json(capsys, "samples", "upload", plain, str(tmp_path / "photos" / "night"))
    assert local["attributes"]["image"]["url"].startswith("file:///")
    assert run_json(capsys, "datasets", "delete", plain) == {"deleted": local["dataset_id"]}


@pytest.mark.usefixtures("cli_env")
def test_sequences_labels_import_export_and_interpolate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], client: Client) -> None:
    for drive in ("drive-1", "drive-2"):
        _touch(*(tmp_path / "drives" / drive / f"{i:03d}.jpg" for i in range(6)))
    name = unique("drives")
    run_json(capsys, "datasets", "create", name, "--task-type", "image-vector-sequence",
             "--category", "1:car")
    samples = run_json(capsys, "samples", "upload", name, str(tmp_path / "drives"))
    assert [(s["name"], s["frame_count"]) for s in samples] == [("drive-1", 6), ("drive-2", 6)]
    assert samples[0]["attributes"]["frames"][5]["name"] == "005"

    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "drive-1.json").write_text(json.dumps(
        sequence_label(6, {0: [bbox(1, 0.0)], 5: [bbox(1, 50.0)]})))
    imported = run_json(capsys, "labels", "import", name, str(labels), "--status", "labeled")
    assert len(imported) == 1

    drive = samples[0]["id"]
    states = run_json(capsys, "interpolate", drive)
    assert [s["objects"][0]["coordinates"][0] for s in states] == [0, 10, 20, 30, 40, 50]
    code, out, _ = run(capsys, "interpolate", drive, "--start", "1", "--end", "3")
    assert code == 0 and "10 0 20 10" in out and "20 0 30 10" in out
    written = run_json(capsys, "interpolate", drive, "-o", str(tmp_path / "frames.jsonl"))
    assert written["frames"] == 6
    lines = (tmp_path / "frames.jsonl").read_text().splitlines()
    assert json.loads(lines[5])["objects"][0]["is_keyframe"] is True

    run_json(capsys, "labels", "export", name, str(tmp_path / "out"))
    exported = json.loads((tmp_path / "out" / "drive-1.json").read_text())
    assert exported["frames"][5]["annotations"][0]["points"] == [[50.0, 0.0], [60.0, 10.0]]
    run_json(capsys, "labels", "export", name, str(tmp_path / "all.jsonl"))
    (record,) = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert (record["sample_name"], record["status"]) == ("drive-1", "labeled")

    # The export imports back (a JSONL of records) into another label set.
    client.add_label_set(samples[0]["dataset_id"], "copy")
    run_json(capsys, "labels", "import", name, str(tmp_path / "all.jsonl"),
             "--label-set", "copy")
    assert client.get_label(drive, "copy").attributes == client.get_label(drive).attributes


@pytest.mark.usefixtures("cli_env")
def test_manifest_upload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "samples.jsonl"
    manifest.write_text("\n".join(json.dumps(
        {"name": f"cloud-{i}", "attributes": {"pcd": {"url": f"s3://b/{i}.pcd", "type": "pcd"}},
         "metadata": {"lidar": "top"}}) for i in range(3)) + "\n")
    name = unique("clouds")
    run_json(capsys, "datasets", "create", name, "--task-type", "pointcloud-cuboid")
    created = run_json(capsys, "samples", "upload", name, str(manifest))
    assert [s["name"] for s in created] == ["cloud-0", "cloud-1", "cloud-2"]


@pytest.mark.usefixtures("cli_env")
def test_health_of_every_service(capsys: pytest.CaptureFixture[str], suite: Suite) -> None:
    rows = run_json(capsys, "health")
    assert {r["service"]: r["status"] for r in rows} == dict.fromkeys(suite.addresses,
                                                                        "SERVING")


@pytest.mark.usefixtures("cli_env")
def test_errors_are_one_line_with_the_field_and_a_non_zero_exit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "datasets", "show", "no-such-dataset")
    assert code == 1 and out == ""
    assert err.strip() == "error: not found: dataset 'no-such-dataset' not found"

    code, _, err = run(capsys, "datasets", "create", "bad name", "--task-type", "bboxes")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("error: invalid argument: dataset.name: ")

    name = unique("errs")
    run_json(capsys, "datasets", "create", name, "--task-type", "bboxes", "--category", "1:car")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"name": "x.jpg", "attributes": {"image": {}}}) + "\n")
    code, _, err = run(capsys, "samples", "upload", name, str(bad))
    assert code == 1 and "samples[0].attributes_json.image.url" in err

    code, _, err = run(capsys, "samples", "upload", name, str(tmp_path / "missing.jsonl"))
    assert code == 1 and "missing.jsonl" in err and "Traceback" not in err

    code, _, err = run(capsys, "interpolate", "00000000-0000-0000-0000-000000000000")
    assert code == 1 and err.startswith("error: not found:")


def test_the_console_script_never_prints_a_traceback(suite: Suite, tmp_path: Path) -> None:
    env = {**suite.env, "FRAMEWISE_DATASET_ADDRESS": suite.addresses["dataset"]}
    result = subprocess.run([sys.executable, "-m", "framewise.client.cli", "datasets",
                             "create", "x y", "--task-type", "bboxes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: invalid argument: dataset.name:")

    env["FRAMEWISE_DATASET_ADDRESS"] = _closed_address()
    down = subprocess.run([sys.executable, "-m", "framewise.client.cli", "datasets", "list"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 3 and down.stderr.startswith("error: unavailable:")
    assert len(down.stderr.strip().splitlines()) == 1

    usage = subprocess.run([sys.executable, "-m", "framewise.client.cli", "datasets", "create",
                            "x"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "--task-type" in usage.stderr


def _closed_address() -> str:
    """An address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"
