"""The monitor pipeline end to end on the in-process bus, with the rules-only test double.

Every test checks the same contract from another side: each transaction gets
exactly one stored decision and one ``decision.made`` event, whatever is
redelivered, invalid, slow, failing or stopped half way; nothing is dropped and
nothing invalid is approved.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from finmon.core.clock import SimulatedClock
from finmon.core.errors import ConflictError
from finmon.events.envelope import Envelope
from finmon.events.inprocess_bus import InProcessBus
from finmon.events.schemas import EventRegistry
from finmon.monitor.decision import Decision
from finmon.monitor.pipeline import (
    DECISION_MADE,
    DECISIONS_TOPIC,
    DecisionStore,
    MonitorPipeline,
    PipelineConfig,
    decision_event_id,
    register_decision_events,
)
from finmon.monitor.transaction import to_micros
from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelopes

Rows = Callable[..., list[dict[str, Any]]]
Publish = Callable[[list[dict[str, Any]]], None]
Read = Callable[..., list[Envelope]]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def pipeline(
    bus: InProcessBus,
    scorer: Any,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry | None = None,
    **config: Any,
) -> MonitorPipeline:
    config.setdefault("retry_delay_s", 0.0)
    return MonitorPipeline(
        bus, scorer, store, config=PipelineConfig(**config), clock=clock, registry=registry
    )


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def amounts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["transaction_id"]: int(r["amount"].replace(".", "")) for r in rows}


# --- the happy path ---------------------------------------------------------------------


def test_every_transaction_gets_exactly_one_decision_and_event(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    read: Read,
    outcome_of: Callable[[int], str],
) -> None:
    data = rows(300)
    publish(data)
    scorer = make_scorer()
    monitor = pipeline(bus, scorer, store, clock, registry, max_batch=64)
    assert monitor.run_until_idle() == 300

    assert store.count() == 300
    expected = {tid: outcome_of(a) for tid, a in amounts(data).items()}
    for tid, outcome in expected.items():
        stored = store.get(tid)
        assert stored is not None
        assert stored.decision.outcome == outcome
        assert stored.decided_at_us == to_micros(clock.now())
    events = read(DECISIONS_TOPIC)
    assert sorted(e.payload["transaction_id"] for e in events) == sorted(expected)
    assert {e.id for e in events} == {decision_event_id(t) for t in expected}
    checker = register_decision_events(EventRegistry())
    for event in events:
        assert event.type == DECISION_MADE
        checker.validate(event)
    assert Counter(scorer.scored) == Counter(dict.fromkeys(expected, 1))
    assert bus.committed_offsets(TRANSACTIONS_TOPIC, "monitor") == bus.end_offsets(
        TRANSACTIONS_TOPIC
    )


def test_metrics_and_stats_match_the_store(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
) -> None:
    publish(rows(250))
    monitor = pipeline(bus, make_scorer(), store, clock, registry, max_batch=100)
    monitor.run_until_idle()

    counts = store.count_by_outcome()
    assert sample(registry, "finmon_monitor_transactions_total") == 250
    for outcome, n in counts.items():
        assert sample(registry, "finmon_monitor_decisions_total", outcome=outcome) == n
    assert sample(registry, "finmon_monitor_latency_seconds_count") == 250
    assert sample(registry, "finmon_monitor_batch_size_count") == 3
    assert sample(registry, "finmon_monitor_batch_size_sum") == 250
    alerts = len([r for r in store.recent(1000) if r.decision.alert_id])
    assert alerts == counts["review"] + counts["block"] > 0
    assert sample(registry, "finmon_monitor_alerts_total") == alerts

    stats = monitor.stats()
    assert stats["transactions"] == 250
    assert stats["decisions"] == counts
    assert stats["alerts"] == alerts
    assert stats["latency_samples"] == 250
    assert 0 < stats["latency_p50_us"] <= stats["latency_p99_us"]
    assert stats["lag"] == 0
    assert stats["queue_depth"] == 0


def test_the_latency_budget_becomes_a_deadline_from_the_oldest_arrival(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
) -> None:
    publish(rows(5))
    scorer = make_scorer()
    before = time.perf_counter_ns() // 1000
    pipeline(bus, scorer, store, clock, latency_budget_us=2_000).run_until_idle()
    after = time.perf_counter_ns() // 1000
    assert len(scorer.deadlines) == 1
    assert before + 2_000 <= scorer.deadlines[0] <= after + 2_000
    publish(rows(5, start=5))
    pipeline(bus, scorer, store, clock).run_until_idle()
    assert scorer.deadlines[1] is None


def test_messages_of_another_type_are_acked_not_decided(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
) -> None:
    envelope = transaction_envelopes(rows(1), clock=clock)[0]
    other = Envelope(
        id="other-1",
        type="account.upserted",
        schema_version=1,
        partition_key="acct-0",
        occurred_at=envelope.occurred_at,
        recorded_at=envelope.recorded_at,
        payload={"account_id": "acct-0"},
    )
    bus.publish_many(TRANSACTIONS_TOPIC, [other, envelope])
    monitor = pipeline(bus, make_scorer(), store, clock, registry)
    assert monitor.run_until_idle() == 2
    assert store.count() == 1
    assert sample(registry, "finmon_monitor_skipped_total") == 1


# --- redelivery ---------------------------------------------------------------------------


def test_a_consumer_restart_before_acking_changes_nothing(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    read: Read,
) -> None:
    publish(rows(120))
    scorer = make_scorer()
    first = pipeline(bus, scorer, store, clock)
    subscription = first._subscribe()
    subscription.ack = lambda delivery: None  # type: ignore[method-assign]  # crash before ack
    first.run_until_idle()
    first.close()  # leaving the group gives every unacked message back
    assert store.count() == 120
    before = store.recent(1000)

    second = pipeline(bus, scorer, store, clock, registry)
    assert second.run_until_idle() == 120  # every message is redelivered ...
    assert store.recent(1000) == before  # ... and changes nothing
    assert sample(registry, "finmon_monitor_duplicates_total") == 120
    assert (
        sum(
            sample(registry, "finmon_monitor_decisions_total", outcome=o)
            for o in ("approve", "review", "block")
        )
        == 0
    )
    assert len(scorer.scored) == 120  # never scored twice
    events = read(DECISIONS_TOPIC)
    assert len(events) == len({e.id for e in events}) == 120
    assert bus.stats()["topics"][DECISIONS_TOPIC]["duplicates"] == 120


def test_a_failed_publish_is_retried_and_still_yields_one_decision(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    read: Read,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(rows(40))
    scorer = make_scorer()
    monitor = pipeline(bus, scorer, store, clock, registry, max_batch=40)
    real = bus.publish_many
    failures = iter([True])

    def flaky(topic: str, envelopes: Any) -> Any:
        if topic == DECISIONS_TOPIC and next(failures, False):
            raise ConnectionError("bus down for a moment")
        return real(topic, envelopes)

    monkeypatch.setattr(bus, "publish_many", flaky)
    assert monitor.run_until_idle() == 40  # first try nacked after storing, retry acked
    assert store.count() == 40
    assert len(scorer.scored) == 40
    assert len(read(DECISIONS_TOPIC)) == 40
    assert sample(registry, "finmon_monitor_failures_total", stage="store_or_publish") == 1
    assert bus.stats()["topics"][TRANSACTIONS_TOPIC]["groups"]["monitor"]["redelivered"] == 40


# --- invalid input ------------------------------------------------------------------------


def bad_envelopes(rows: Rows, clock: SimulatedClock) -> list[Envelope]:
    data = rows(3, start=900)
    data[0]["amount"] = "12,50"
    del data[1]["currency"]
    envelopes = transaction_envelopes(data, clock=clock)
    nameless = Envelope(
        id="no-id-event",
        type=envelopes[0].type,
        schema_version=1,
        partition_key="acct-x",
        occurred_at=envelopes[0].occurred_at,
        recorded_at=envelopes[0].recorded_at,
        payload={"amount": {"nested": True}},
    )
    return [*envelopes, nameless]


def test_invalid_payloads_get_review_decisions_naming_the_field(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
) -> None:
    bus.publish_many(TRANSACTIONS_TOPIC, bad_envelopes(rows, clock))
    monitor = pipeline(bus, make_scorer(), store, clock, registry)
    assert monitor.run_until_idle() == 4

    def reason_of(tid: str) -> tuple[str, str]:
        stored = store.get(tid)
        assert stored is not None
        assert stored.decision.outcome == "review"
        return stored.decision.reasons[0].kind, stored.decision.reasons[0].code

    assert reason_of("tx-00900") == ("input", "amount")
    assert reason_of("tx-00901") == ("input", "currency")
    assert reason_of("event:no-id-event")[0] == "input"
    assert store.get("tx-00902") is not None  # the good neighbour is decided normally
    assert sample(registry, "finmon_monitor_invalid_inputs_total", action="decision") == 3


def test_invalid_payloads_go_to_the_dead_letter_topic_when_configured(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    read: Read,
) -> None:
    bad = bad_envelopes(rows, clock)
    bus.publish_many(TRANSACTIONS_TOPIC, bad)
    monitor = pipeline(bus, make_scorer(), store, clock, registry, on_invalid="dead_letter")
    assert monitor.run_until_idle() == 4
    assert store.count() == 1
    dead = read(TRANSACTIONS_TOPIC + ".dlq")
    assert {e.id for e in dead} == {bad[0].id, bad[1].id, bad[3].id}
    assert sample(registry, "finmon_monitor_invalid_inputs_total", action="dead_letter") == 3
    assert [e.payload["transaction_id"] for e in read(DECISIONS_TOPIC)] == ["tx-00902"]


def test_an_approving_scorer_cannot_approve_invalid_input(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    make_scorer: Any,
    rows: Rows,
) -> None:
    scorer = make_scorer()
    scorer.invalid = lambda tid, problems, occurred_us=0: Decision(tid, 0, "approve", False, ())
    bus.publish_many(TRANSACTIONS_TOPIC, bad_envelopes(rows, clock)[:1])
    pipeline(bus, scorer, store, clock).run_until_idle()
    stored = store.get("tx-00900")
    assert stored is not None
    assert stored.decision.outcome == "review"


# --- a failing scorer ---------------------------------------------------------------------


def test_a_transaction_the_scorer_fails_on_is_dead_lettered_by_the_bus_never_approved(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    read: Read,
) -> None:
    publish(rows(30))
    scorer = make_scorer(fail_on=["tx-00007"])
    monitor = pipeline(bus, scorer, store, clock, registry, max_batch=30, max_deliver=3)
    assert monitor.run_until_idle() == 29  # the poison one is nacked, then dead-lettered
    assert store.count() == 29
    assert store.get("tx-00007") is None
    assert [e.payload["transaction_id"] for e in read(TRANSACTIONS_TOPIC + ".dlq")] == ["tx-00007"]
    assert Counter(scorer.scored)["tx-00003"] == 1  # neighbours were decided once
    assert sample(registry, "finmon_monitor_failures_total", stage="score") == 3


def test_a_scorer_that_breaks_the_contract_is_not_trusted(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
) -> None:
    publish(rows(10))
    scorer = make_scorer()
    honest = scorer.score_many
    scorer.score_many = lambda txns, deadline_us=None: honest(txns)[:1]
    monitor = pipeline(bus, scorer, store, clock, max_batch=10)
    assert monitor.run_until_idle() == 10  # one by one, each answer has the right length
    assert store.count() == 10


def test_a_decision_the_store_would_refuse_costs_only_its_own_transaction(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    read: Read,
) -> None:
    publish(rows(12))
    scorer = make_scorer()
    honest = scorer.score_many

    def out_of_range(txns: Any, deadline_us: int | None = None) -> list[Decision]:
        answers = honest(txns)
        return [
            Decision(d.transaction_id, 150, "block", False, ())
            if d.transaction_id == "tx-00004"
            else d
            for d in answers
        ]

    scorer.score_many = out_of_range
    monitor = pipeline(bus, scorer, store, clock, registry, max_batch=12, max_deliver=2)
    assert monitor.run_until_idle() == 11
    assert store.count() == 11
    assert store.get("tx-00004") is None
    assert [e.payload["transaction_id"] for e in read(TRANSACTIONS_TOPIC + ".dlq")] == ["tx-00004"]


# --- threads, backpressure, stop ----------------------------------------------------------


def test_backpressure_with_a_small_queue_and_a_slow_scorer_drops_nothing(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    registry: CollectorRegistry,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    until: Callable[..., None],
) -> None:
    publish(rows(80))
    monitor = pipeline(
        bus, make_scorer(delay_s=0.005), store, clock, registry, queue_size=3, max_batch=2
    )
    monitor.start()
    depths, lags, held = [], [], []
    try:
        while store.count() < 80:
            stats = monitor.stats()
            depths.append(stats["queue_depth"])
            lags.append(stats["lag"])
            group = bus.stats()["topics"][TRANSACTIONS_TOPIC]["groups"]["monitor"]
            held.append(group["in_flight"])
            until(lambda: True)
    finally:
        monitor.stop(drain=True)
    assert max(depths) <= 3
    assert max(held) <= 3 + 1 + 2  # the queue, the fetcher's hand, the batch being scored
    assert max(lags) > 3  # messages waited on the bus, not in memory
    assert store.count() == 80
    assert sample(registry, "finmon_monitor_transactions_total") == 80
    assert bus.committed_offsets(TRANSACTIONS_TOPIC, "monitor") == bus.end_offsets(
        TRANSACTIONS_TOPIC
    )


def test_stop_with_drain_decides_everything_fetched(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    until: Callable[..., None],
) -> None:
    publish(rows(200))
    scorer = make_scorer(delay_s=0.002)
    monitor = pipeline(bus, scorer, store, clock, queue_size=50, max_batch=10)
    monitor.start()
    until(lambda: store.count() > 0)
    monitor.stop(drain=True)
    assert not monitor.running
    group = bus.stats()["topics"][TRANSACTIONS_TOPIC]["groups"]["monitor"]
    assert group["in_flight"] == 0  # nothing fetched was left hanging
    assert group["redelivered"] == 0  # ... nor given back: everything fetched was decided
    assert store.count() + group["lag"] == 200
    rest = pipeline(bus, scorer, store, clock)
    rest.run_until_idle()
    assert store.count() == 200
    assert len(scorer.scored) == 200


def test_stop_without_drain_gives_queued_messages_back(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    make_scorer: Any,
    rows: Rows,
    publish: Publish,
    read: Read,
    until: Callable[..., None],
) -> None:
    publish(rows(200))
    scorer = make_scorer(delay_s=0.005)
    monitor = pipeline(bus, scorer, store, clock, queue_size=50, max_batch=5)
    monitor.start()
    until(lambda: store.count() > 0 and monitor.stats()["queue_depth"] > 0)
    monitor.stop(drain=False)
    group = bus.stats()["topics"][TRANSACTIONS_TOPIC]["groups"]["monitor"]
    assert group["in_flight"] == 0
    assert store.count() < 200
    pipeline(bus, scorer, store, clock).run_until_idle()
    assert store.count() == 200
    assert len(scorer.scored) == 200
    assert len(read(DECISIONS_TOPIC)) == 200


def test_the_pipeline_refuses_to_run_twice(
    bus: InProcessBus, store: DecisionStore, clock: SimulatedClock, make_scorer: Any
) -> None:
    monitor = pipeline(bus, make_scorer(), store, clock)
    monitor.start()
    try:
        with pytest.raises(ConflictError):
            monitor.start()
        with pytest.raises(ConflictError):
            monitor.run_until_idle()
    finally:
        monitor.stop()
    assert not monitor.running


def test_a_closed_bus_stops_the_threads_without_crashing(
    bus: InProcessBus,
    store: DecisionStore,
    clock: SimulatedClock,
    make_scorer: Any,
    until: Callable[..., None],
) -> None:
    monitor = pipeline(bus, make_scorer(), store, clock)
    monitor.start()
    bus.close()
    until(lambda: not monitor.running)
    monitor.stop()
