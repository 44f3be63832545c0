"""The decision store on both backends: idempotent inserts keyed by transaction id, and reads."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import ValidationError
from finmon.events.inprocess_bus import InProcessBus
from finmon.monitor.decision import Decision, Reason
from finmon.monitor.pipeline import (
    BaseDecisionStore,
    DecisionStore,
    MonitorPipeline,
    PipelineConfig,
    PostgresDecisionStore,
    StoredDecision,
)
from finmon.testing import postgres_schema, require_postgres

Opener = Callable[[], BaseDecisionStore]


def decision(tid: str, outcome: str = "approve", score: int = 5, **extra: object) -> Decision:
    reasons = (Reason("rule", "R1", "because", 12.5), Reason("feature", "amount", "big", 0.7))
    return Decision(tid, score, outcome, False, reasons, ("R1",), **extra)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens (and reopens) one decision store on each backend; closes them all after."""
    opened: list[BaseDecisionStore] = []
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":

            def make() -> BaseDecisionStore:
                return DecisionStore(tmp_path / "decisions.db")

        else:
            url, schema = stack.enter_context(postgres_schema(require_postgres()))

            def make() -> BaseDecisionStore:
                return PostgresDecisionStore(url, schema=schema)

        def track() -> BaseDecisionStore:
            opened.append(make())
            return opened[-1]

        yield track
        for each in opened:
            each.close()


@pytest.fixture
def store(opener: Opener) -> BaseDecisionStore:  # overrides the SQLite-only conftest fixture
    return opener()


def test_put_many_counts_only_new_decisions(store: BaseDecisionStore) -> None:
    assert store.put_many([decision("a"), decision("b")], decided_at_us=10) == 2
    assert store.put_many([decision("b"), decision("c")], decided_at_us=20) == 1
    assert store.count() == 3


def test_a_redelivered_decision_changes_nothing(store: BaseDecisionStore) -> None:
    store.put_many([decision("a", "review", 60)], decided_at_us=10, account_ids={"a": "acct"})
    assert store.put_many([decision("a", "approve", 1)], decided_at_us=99) == 0
    kept = store.get("a")
    assert kept is not None
    assert (kept.decision.outcome, kept.decision.score, kept.decided_at_us) == ("review", 60, 10)
    assert kept.account_id == "acct"


def test_duplicates_within_one_write_count_once_and_the_first_wins(
    store: BaseDecisionStore,
) -> None:
    new = store.put_new(
        [StoredDecision(decision("a", "block", 90), 1), StoredDecision(decision("a"), 2)]
    )
    assert [r.decision.outcome for r in new] == ["block"]
    assert store.count() == 1


def test_get_round_trips_every_persisted_field(store: BaseDecisionStore) -> None:
    original = decision(
        "a",
        "review",
        70,
        model_probability=0.25,
        model_version="m1",
        ruleset_version="r1",
        challenger_probability=0.5,
        occurred_us=1_767_571_219_692_021,
        latency_us=321,
        alert_id="AL-X",
        tags=("shadow:R9",),
    )
    store.put_many([original], decided_at_us=42, account_ids={"a": "acct-1"})
    assert store.get("a") == StoredDecision(original, 42, "acct-1")
    assert store.get("missing") is None


def test_get_many_skips_unknown_ids_and_handles_large_lists(store: BaseDecisionStore) -> None:
    store.put_many([decision(f"t{n}") for n in range(2000)])
    found = store.get_many([f"t{n}" for n in range(0, 2500, 2)])
    assert len(found) == 1000


def test_recent_is_newest_first_and_filters_by_outcome(store: BaseDecisionStore) -> None:
    store.put_many([decision("a"), decision("b", "review", 60), decision("c")])
    store.put_many([decision("d", "block", 99)])
    assert [r.transaction_id for r in store.recent(3)] == ["d", "c", "b"]
    assert [r.transaction_id for r in store.recent(10, outcome="approve")] == ["c", "a"]


@pytest.mark.parametrize(("limit", "outcome", "field"), [(0, None, "limit"), (5, "ok", "outcome")])
def test_recent_refuses_bad_arguments(
    store: BaseDecisionStore, limit: int, outcome: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        store.recent(limit, outcome=outcome)  # type: ignore[arg-type]
    assert err.value.field == field


def test_count_by_outcome_lists_every_outcome(store: BaseDecisionStore) -> None:
    assert store.count_by_outcome() == {"approve": 0, "review": 0, "block": 0}
    store.put_many([decision("a"), decision("b", "block", 95), decision("c")])
    assert store.count_by_outcome() == {"approve": 2, "review": 0, "block": 1}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (decision("b", score=101), "score"),
        (decision("b", score=-1), "score"),
        (decision("b", outcome="maybe"), "outcome"),
        (decision(""), "transaction_id"),
    ],
)
def test_a_malformed_decision_is_refused_and_nothing_is_written(
    store: BaseDecisionStore, bad: Decision, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        store.put_many([decision("a"), bad])
    assert err.value.field == field
    assert store.count() == 0


def test_decisions_survive_reopening(opener: Opener) -> None:
    opener().put_many([decision("a")])
    second = opener()
    assert second.count() == 1
    assert second.put_many([decision("a")]) == 0


def test_concurrent_writers_store_each_decision_once_and_agree_on_what_was_new(
    opener: Opener,
) -> None:
    """Two connections (two pipeline processes) racing over overlapping ids."""
    stores = [opener(), opener()]
    new_counts = [0, 0]
    ids = [f"t{n}" for n in range(400)]

    def write(which: int) -> None:
        order = ids if which == 0 else ids[::-1]
        for start in range(0, len(order), 25):
            chunk = order[start : start + 25]
            new_counts[which] += stores[which].put_many([decision(t) for t in chunk])

    threads = [threading.Thread(target=write, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(new_counts) == len(ids)
    assert stores[0].count() == len(ids)


def test_the_pipeline_decides_once_per_transaction_on_each_backend(
    opener: Opener,
    bus: InProcessBus,
    clock: SimulatedClock,
    make_scorer: Any,
    rows: Callable[..., list[dict[str, Any]]],
    publish: Callable[[list[dict[str, Any]]], None],
) -> None:
    publish(rows(60))
    publish(rows(60))  # the same transactions again: the bus drops these copies
    store = opener()
    config = PipelineConfig(max_batch=16)
    first = MonitorPipeline(bus, make_scorer(), store, config=config, clock=clock)
    assert first.run_until_idle() == 60
    assert store.count() == 60
    assert sum(store.count_by_outcome().values()) == 60
