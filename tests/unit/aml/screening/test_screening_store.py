"""The list store: versions, content hash, who/when, malformed loads keep the old list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from screening_helpers import FIXTURES

from finmon.aml.screening import ListStore, Subject
from finmon.core.clock import SimulatedClock
from finmon.core.errors import NotFoundError, ValidationError

FTM = FIXTURES / "opensanctions_sample.ftm.json"


@pytest.fixture
def store(tmp_path: Path) -> ListStore:
    return ListStore(tmp_path / "screening", clock=SimulatedClock(datetime(2026, 3, 1, tzinfo=UTC)))


def test_load_records_version_hash_who_and_when(store: ListStore) -> None:
    result = store.load(FTM, loaded_by="alice")
    version = result.version
    assert result.created
    assert result.diff is None
    assert (version.list, version.version, version.entries) == ("opensanctions", 1, 4)
    assert version.loaded_by == "alice"
    assert version.loaded_at == "2026-03-01T00:00:00+00:00"
    assert len(version.content_hash) == 64
    assert [v.list for v in store.active()] == ["opensanctions"]
    history = [json.loads(line) for line in (store.root / "history.jsonl").read_text().splitlines()]
    assert history[-1]["by"] == "alice"
    assert history[-1]["accepted"]


def test_same_content_makes_no_new_version(store: ListStore) -> None:
    store.load(FTM, loaded_by="a")
    again = store.load(FTM, loaded_by="b")
    assert not again.created
    assert again.version.version == 1
    assert len(store.versions("opensanctions")) == 1


def test_a_malformed_file_is_rejected_and_the_previous_version_stays(
    store: ListStore, tmp_path: Path
) -> None:
    store.load(FTM, loaded_by="a")
    bad = tmp_path / "bad.json"
    bad.write_text(FTM.read_text() + "{not json\n")
    with pytest.raises(ValidationError, match="line 6"):
        store.load(bad, "ftm", loaded_by="b")
    active = store.active_version("opensanctions")
    assert active is not None
    assert active.version == 1
    assert len(store.entries("opensanctions")) == 4
    last = json.loads((store.root / "history.jsonl").read_text().splitlines()[-1])
    assert last["accepted"] is False
    assert "line 6" in last["error"]


def test_update_diff_rescreen_and_rollback(store: ListStore, tmp_path: Path) -> None:
    store.load(FTM, loaded_by="a")
    lines = FTM.read_text().splitlines()
    lines.append(
        '{"id": "NK-new", "schema": "Person", "properties": {"name": ["Pedro Alvarez Ruiz"]}}'
    )
    lines[0] = lines[0].replace('"Vanya"', '"Vanechka"')
    updated = tmp_path / "v2.ftm.json"
    updated.write_text("\n".join(lines) + "\n")
    result = store.load(updated, loaded_by="b")
    assert result.created
    assert result.version.version == 2
    assert result.diff is not None
    assert [e.entry_id for e in result.diff.added] == ["opensanctions:NK-new"]
    assert [e.entry_id for e in result.diff.changed] == ["opensanctions:NK-abc123"]
    diff = store.diff("opensanctions", since=1)
    assert len(diff.added) == 1
    assert len(diff.changed) == 1
    assert diff.removed == ()
    hits = store.screener().rescreen(
        [Subject("c1", "Pedro Alvarez"), Subject("c2", "Unrelated Person")],
        store.entries("opensanctions", 1),
    )
    assert [(h.subject_id, h.change) for h in hits] == [("c1", "added")]
    store.activate("opensanctions", 1, by="c")
    active = store.active_version("opensanctions")
    assert active is not None
    assert active.version == 1


def test_thresholds_file_and_user_list_names(store: ListStore) -> None:
    store.root.mkdir(parents=True)
    (store.root / "thresholds.json").write_text('{"default": 90, "lists": {"mylist": 95}}')
    assert store.thresholds().for_list("mylist") == 95
    assert store.thresholds().for_list("un") == 90
    result = store.load(FTM, list_name="mylist", loaded_by="a")
    assert result.version.list == "mylist"
    assert store.screener().screen("Ivan Sidorov")[0].threshold == 95
    with pytest.raises(ValidationError):
        store.load(FTM, list_name="../evil", loaded_by="a")
    with pytest.raises(NotFoundError):
        store.entries("nothing")
