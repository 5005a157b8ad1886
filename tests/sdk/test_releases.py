"""Releases through the SDK and the CLI: create, wait, download, export."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from framewise.client import AsyncClient, Client, NewSample, NotFound
from framewise.client.cli import main
from tests.sdk.conftest import (
    BOX_CATEGORIES,
    Suite,
    bbox,
    frames,
    needs_release,
    sequence_label,
    unique,
)
from tests.support.tokens import token_for

pytestmark = needs_release


@pytest.fixture(scope="module")
def labeled(client: Client) -> tuple[str, str]:
    """A dataset with an image and a labeled sequence: (dataset id, sequence sample id)."""
    dataset = client.add_dataset(unique("release"), "image-vector-sequence",
                                 task_attributes=BOX_CATEGORIES)
    sample = client.add_sample(dataset.id, NewSample("drive", {"frames": frames(5)}))
    client.add_label(sample.id, sequence_label(5, {0: [bbox(1, 0.0)], 4: [bbox(1, 40.0)]}))
    return dataset.id, sample.id


def test_release_wait_download_export(client: Client, labeled: tuple[str, str],
                                      tmp_path: Path) -> None:
    dataset_id, sample_id = labeled
    release = client.add_release(dataset_id, "v1", "first")
    polled: list[str] = []
    done = client.wait_for_release(release.id, timeout=120,
                                   on_poll=lambda r: polled.append(r.status))
    assert done.status == "succeeded" and polled[-1] == "succeeded"
    assert done.sample_count == 1 and done.file_size_bytes > 0
    assert [r.id for r in client.list_releases(dataset_id)] == [release.id]
    assert client.get_release(release.id) == done

    progress: list[tuple[int, int]] = []
    path = client.download_release(release.id, tmp_path / "v1.json",
                                   progress=lambda d, t: progress.append((d, t)))
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.content_sha256
    assert progress[-1] == (len(data), len(data))
    assert not list(tmp_path.glob("*.part"))
    assert sample_id in data.decode()

    files = client.export_release(release.id, tmp_path / "coco")
    assert files and all((tmp_path / "coco" / f.path).stat().st_size == f.size for f in files)
    coco = json.loads((tmp_path / "coco" / files[0].path).read_text())
    assert "annotations" in coco
    archived = client.export_release(release.id, tmp_path / "release.zip",
                                     export_format="release-json")
    with zipfile.ZipFile(tmp_path / "release.zip") as archive:
        assert archive.namelist() == [f.path for f in archived]

    client.delete_release(release.id)
    with pytest.raises(NotFound):
        client.get_release(release.id)
    with pytest.raises(NotFound):
        client.download_release(release.id, tmp_path / "gone.json")
    assert not (tmp_path / "gone.json").exists()


async def test_async_release(suite: Suite, labeled: tuple[str, str], tmp_path: Path) -> None:
    async with AsyncClient(addresses=suite.addresses, token=token_for("local")) as fw:
        release = await fw.add_release(labeled[0], unique("async"))
        done = await fw.wait_for_release(release.id, timeout=120)
        path = await fw.download_release(done.id, tmp_path / "r.json")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == done.content_sha256
        files = await fw.export_release(done.id, tmp_path / "out")
        assert files


@pytest.mark.usefixtures("cli_env")
def test_cli_releases(labeled: tuple[str, str], tmp_path: Path,
                      capsys: pytest.CaptureFixture[str], client: Client) -> None:
    dataset = client.get_dataset(labeled[0])

    def run_json(*argv: str) -> dict[str, object]:
        code = main(["--json", *argv])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return json.loads(captured.out)

    created = run_json("releases", "create", dataset.name, "cli-v1", "--wait")
    assert created["status"] == "succeeded"
    release_id = str(created["id"])
    assert run_json("releases", "wait", release_id)["status"] == "succeeded"
    downloaded = run_json("releases", "download", release_id, "-o", str(tmp_path / "r.json"))
    assert downloaded["sha256"] == created["content_sha256"]
    exported = run_json("releases", "export", release_id, "-o", str(tmp_path / "coco"),
                        "--format", "coco-instance")
    assert exported["files"]
    listed = main(["releases", "list", dataset.name])
    assert listed == 0 and "cli-v1" in capsys.readouterr().out

    code = main(["releases", "download", "00000000-0000-0000-0000-000000000000",
                 "-o", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: not found:")
