from __future__ import annotations

from collections.abc import Callable

from finmon.events.bus import InProcessBus
from finmon.sim import FaultSpec, Pacing, Scenario, Simulation, stream_scenario
from finmon.sources.events import TRANSACTIONS_TOPIC

SmallScenario = Callable[..., Scenario]


def _drain(bus: InProcessBus) -> list[dict[str, object]]:
    payloads = []
    with bus.subscribe(TRANSACTIONS_TOPIC, "check") as sub:
        while batch := sub.fetch(10_000):
            for delivery in batch:
                payloads.append(delivery.envelope.payload)
                sub.ack(delivery)
    return payloads


def test_every_transaction_published_once_in_order_per_account(small: SmallScenario) -> None:
    scenario = small(days=3, typologies={})
    expected = sum(b.transactions.num_rows for b in Simulation(scenario).batches())
    with InProcessBus() as bus:
        stats = stream_scenario(scenario, bus)
        payloads = _drain(bus)
    assert stats.published == expected == len(payloads)
    assert len({p["transaction_id"] for p in payloads}) == expected
    last: dict[object, str] = {}
    for p in payloads:
        assert str(p["occurred_at"]) >= last.get(p["account_id"], "")
        last[p["account_id"]] = str(p["occurred_at"])


def test_duplicates_are_published_and_stored_once(small: SmallScenario) -> None:
    scenario = small(days=2, typologies={})
    expected = sum(b.transactions.num_rows for b in Simulation(scenario).batches())
    with InProcessBus() as bus:
        stats = stream_scenario(scenario, bus, faults=FaultSpec(duplicates=0.05))
        payloads = _drain(bus)
    dups = sum(1 for f in stats.faults if f.kind == "duplicate")
    assert dups > 0
    assert stats.published == expected + dups
    assert stats.duplicates_stored == dups
    assert len(payloads) == expected


def test_rate_pacing_and_duration_use_the_injected_clock(small: SmallScenario) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with InProcessBus() as bus:
        stats = stream_scenario(
            small(days=1, typologies={}),
            bus,
            pacing=Pacing(rate=1000, duration=2.0),
            sleep=sleep,
            monotonic=lambda: now[0],
            batch_size=100,
        )
    assert stats.stopped == "duration"
    assert 1900 <= stats.published <= 2100
    assert slept
