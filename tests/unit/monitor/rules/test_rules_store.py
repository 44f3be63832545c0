"""The rule store: save (validated first), activate, roll back, history with who/when/diff."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import IntegrityError, NotFoundError, ValidationError
from finmon.monitor.rules import RuleDiff, RuleSetError, RuleStore

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rule(rule_id: str, expression: str = "amount_major > 1000", score: int = 20) -> str:
    return (
        f"  - id: {rule_id}\n"
        f"    description: rule {rule_id}\n"
        f"    expression: {expression}\n"
        "    severity: medium\n"
        f"    score: {score}\n"
    )


def ruleset(version: int, *rules: str) -> str:
    return f"name: bank\nversion: {version}\nrules:\n" + "".join(rules)


V1 = ruleset(1, rule("big"), rule("night", "is_off_hours == 1"))
V2 = ruleset(2, rule("big", score=30), rule("fan-out", "acct_out_degree_24h >= 5"))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: SimulatedClock) -> Iterator[RuleStore]:
    with RuleStore.for_data_dir(tmp_path, clock) as opened:
        yield opened


def test_an_empty_store_has_nothing_active(store: RuleStore, tmp_path: Path) -> None:
    assert store.active() is None
    assert store.active_ruleset() is None
    assert store.history() == []
    assert store.path == tmp_path / "monitor" / "rules.db"


def test_save_stores_verbatim_text_and_activates(store: RuleStore) -> None:
    version = store.save(V1, "alice", "first rules")
    assert (version.revision, version.name, version.declared_version) == (1, "bank", "1")
    assert version.text == V1
    assert (version.author, version.comment, version.created_at) == ("alice", "first rules", START)
    active = store.active()
    assert active is not None
    assert active.revision == 1
    compiled = store.active_ruleset()
    assert compiled is not None
    assert [r.id for r in compiled.rules] == ["big", "night"]
    assert len(version.sha256) == 64
    assert compiled.sha256 == version.sha256


def test_save_without_activation(store: RuleStore) -> None:
    store.save(V1, "alice")
    store.save(V2, "bob", activate=False)
    active = store.active()
    assert active is not None
    assert active.revision == 1
    assert [v.revision for v in store.versions()] == [1, 2]


def test_history_says_who_changed_what_and_when(store: RuleStore, clock: SimulatedClock) -> None:
    store.save(V1, "alice", "first rules")
    clock.advance(3600)
    store.save(V2, "bob", "tune big, replace night")
    clock.advance(60)
    store.activate(1, "carol", "v2 raised too many alerts")
    history = store.history()
    assert [(c.action, c.author, c.revision, c.previous) for c in history] == [
        ("save", "alice", 1, None),
        ("activate", "alice", 1, None),
        ("save", "bob", 2, 1),
        ("activate", "bob", 2, 1),
        ("activate", "carol", 1, 2),
    ]
    assert history[0].at == START
    assert history[2].at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert history[0].diff == RuleDiff(added=("big", "night"))
    assert history[2].diff == RuleDiff(added=("fan-out",), removed=("night",), changed=("big",))
    assert history[4].detail == "rollback"
    assert history[3].detail == "deploy"
    assert history[4].diff == RuleDiff(added=("night",), removed=("fan-out",), changed=("big",))
    assert history[4].to_dict()["diff"] == {
        "added": ["night"], "removed": ["fan-out"], "changed": ["big"],
    }  # fmt: skip
    active = store.active()
    assert active is not None
    assert active.revision == 1


def test_diff_between_any_two_revisions(store: RuleStore) -> None:
    store.save(V1, "alice")
    store.save(V2, "alice")
    assert store.diff(1, 2) == RuleDiff(added=("fan-out",), removed=("night",), changed=("big",))
    assert not store.diff(1, 1)


def test_a_poisoned_rule_set_is_refused_and_the_previous_stays_active(store: RuleStore) -> None:
    store.save(V1, "alice")
    poisoned = ruleset(2, rule("evil", "().__class__.__bases__"))
    with pytest.raises(RuleSetError, match=r"line 6, column 17: rule 'evil' expression"):
        store.save(poisoned, "mallory", "harmless tweak")
    active = store.active()
    assert active is not None
    assert active.revision == 1
    assert [v.revision for v in store.versions()] == [1]
    refusal = store.history()[-1]
    assert (refusal.action, refusal.author, refusal.comment) == (
        "reject",
        "mallory",
        "harmless tweak",
    )
    assert "attribute access" in refusal.detail
    compiled = store.active_ruleset()
    assert compiled is not None
    assert compiled.name == "bank"


def test_broken_yaml_is_refused_too(store: RuleStore) -> None:
    store.save(V1, "alice")
    with pytest.raises(RuleSetError, match="YAML error"):
        store.save("name: [unclosed\n", "bob")
    active = store.active()
    assert active is not None
    assert active.revision == 1


def test_unknown_revisions_and_missing_authors(store: RuleStore) -> None:
    with pytest.raises(NotFoundError):
        store.activate(7, "alice")
    with pytest.raises(ValidationError, match="author is required"):
        store.save(V1, " ")
    with pytest.raises(ValidationError, match="author is required"):
        store.activate(1, "")


def test_activation_revalidates_against_todays_names(tmp_path: Path, clock: SimulatedClock) -> None:
    path = tmp_path / "rules.db"
    with RuleStore(path, clock, names=["custom_signal"]) as old:
        old.save(ruleset(1, rule("c", "custom_signal > 1")), "alice")
        old.save(ruleset(2, rule("big")), "alice")
    with RuleStore(path, clock) as new:
        with pytest.raises(RuleSetError, match="unknown name 'custom_signal'"):
            new.activate(1, "bob")
        active = new.active()
        assert active is not None
        assert active.revision == 2
        assert new.history()[-1].action == "reject"


def test_the_store_persists_across_reopening(tmp_path: Path, clock: SimulatedClock) -> None:
    path = tmp_path / "rules.db"
    with RuleStore(path, clock) as first:
        first.save(V1, "alice")
        first.save(V2, "bob")
        first.activate(1, "carol")
    with RuleStore(path, clock) as again:
        active = again.active()
        assert active is not None
        assert active.revision == 1
        assert len(again.history()) == 5


def test_tampered_text_is_detected(tmp_path: Path, clock: SimulatedClock) -> None:
    path = tmp_path / "rules.db"
    with RuleStore(path, clock) as store:
        store.save(V1, "alice")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE ruleset_versions SET text = replace(text, '1000', '999999')")
    conn.close()
    with RuleStore(path, clock) as store, pytest.raises(IntegrityError, match="sha256"):
        store.active()


def test_versions_serialise(store: RuleStore) -> None:
    data = store.save(V1, "alice", "c").to_dict()
    assert data["revision"] == 1
    assert data["created_at"] == START.isoformat()
    assert "text" not in data
