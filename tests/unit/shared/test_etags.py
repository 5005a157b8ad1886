"""The one etag check and field-mask check every service uses (shared/etags.py)."""

from __future__ import annotations

import pytest

from shared.errors import Aborted, InvalidArgument
from shared.etags import check_etag, mask_paths, mask_touches


def test_no_etag_or_the_current_one_passes() -> None:
    check_etag("", "e1", "dataset")
    check_etag("e1", "e1", "dataset")


def test_a_stale_etag_is_aborted_with_the_current_one() -> None:
    with pytest.raises(Aborted) as raised:
        check_etag("e0", "e1", "sample")
    assert raised.value.code == "ABORTED" and raised.value.reason == "STALE_ETAG"
    assert raised.value.metadata == {"current_etag": "e1"}
    assert raised.value.message == ("the sample changed since it was read (etag 'e0', "
                                    "now 'e1'); read it again and retry")


def test_a_gone_resource_reads_as_none() -> None:
    with pytest.raises(Aborted, match="now 'none'"):
        check_etag("e0", "", "label")


def test_mask_paths() -> None:
    allowed = ("name", "priority")
    assert mask_paths(["priority"], allowed) == ["priority"]
    assert mask_paths(["*"], allowed) == ["name", "priority"]
    for bad in ([], ["task_type"], ["name", "id"]):
        with pytest.raises(InvalidArgument) as raised:
            mask_paths(bad, allowed)
        assert [v.field for v in raised.value.violations] == ["update_mask"]


def test_mask_touches() -> None:
    assert mask_touches(["*"], "attributes_json")
    assert mask_touches(["name", "attributes_json"], "attributes_json")
    assert not mask_touches(["name"], "attributes_json")
