"""Fixtures for the pipeline tests: a rules-only test-double scorer, rows, a bus, a store.

The scorer here is a *test double*, not the engine: one amount rule, no model.
It records every transaction it scored, so tests can prove the pipeline never
scores one transaction twice, and it can be made slow or made to fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import Problem
from finmon.events.envelope import Envelope
from finmon.events.inprocess_bus import InProcessBus
from finmon.monitor.decision import Decision, Reason
from finmon.monitor.pipeline import DecisionStore
from finmon.monitor.transaction import Txn
from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelopes

T0 = datetime(2026, 1, 5, tzinfo=UTC)
REVIEW_ABOVE = 100_000  # minor units: 1,000.00
BLOCK_ABOVE = 1_000_000  # 10,000.00


class RulesOnlyTestScorer:
    """Test double of the scoring engine: flags large amounts, nothing else.

    approve (score 5) up to 1,000.00; review (score 60, rule TEST_LARGE) above;
    block (score 95, rule TEST_HUGE) above 10,000.00. ``fail_on`` makes it raise
    for those transaction ids; ``delay_s`` makes every call slow.
    """

    def __init__(self, *, delay_s: float = 0.0, fail_on: Sequence[str] = ()) -> None:
        self.delay_s = delay_s
        self.fail_on = set(fail_on)
        self.scored: list[str] = []
        self.deadlines: list[int | None] = []
        self.calls = 0
        self._lock = threading.Lock()

    def score_many(self, txns: Sequence[Txn], *, deadline_us: int | None = None) -> list[Decision]:
        with self._lock:
            self.calls += 1
            self.deadlines.append(deadline_us)
        if self.delay_s:
            time.sleep(self.delay_s)
        for txn in txns:
            if txn.transaction_id in self.fail_on:
                raise RuntimeError(f"test double told to fail on {txn.transaction_id}")
        with self._lock:
            self.scored.extend(t.transaction_id for t in txns)
        return [self._one(t) for t in txns]

    def invalid(
        self, transaction_id: str, problems: Sequence[Problem], occurred_us: int = 0
    ) -> Decision:
        field = next((p.field for p in problems if p.field), "payload")
        reason = Reason("input", field, f"invalid input: {field}")
        return Decision(transaction_id, 50, "review", True, (reason,), occurred_us=occurred_us)

    @staticmethod
    def _one(txn: Txn) -> Decision:
        tid, when = txn.transaction_id, txn.occurred_us
        if txn.amount_minor > BLOCK_ABOVE:
            reason = Reason("rule", "TEST_HUGE", "amount above 10,000.00", 95.0)
            hits: tuple[str, ...] = ("TEST_HUGE",)
            return Decision(tid, 95, "block", False, (reason,), hits, occurred_us=when)
        if txn.amount_minor > REVIEW_ABOVE:
            reason = Reason("rule", "TEST_LARGE", "amount above 1,000.00", 60.0)
            hits = ("TEST_LARGE",)
            return Decision(tid, 60, "review", False, (reason,), hits, occurred_us=when)
        return Decision(tid, 5, "approve", False, (), occurred_us=when)


def expected_outcome(amount_minor: int) -> str:
    if amount_minor > BLOCK_ABOVE:
        return "block"
    return "review" if amount_minor > REVIEW_ABOVE else "approve"


def make_rows(count: int, *, start: int = 0, accounts: int = 7) -> list[dict[str, Any]]:
    """Valid canonical rows; every 10th is a review and every 25th a block by the double."""
    rows = []
    for n in range(start, start + count):
        cents = 2_000_000 if n % 25 == 0 else 150_000 if n % 10 == 0 else 1_000 + n
        rows.append(
            {
                "transaction_id": f"tx-{n:05d}",
                "occurred_at": T0 + timedelta(seconds=n),
                "account_id": f"acct-{n % accounts}",
                "customer_id": f"cust-{n % accounts}",
                "direction": "debit",
                "amount": f"{cents // 100}.{cents % 100:02d}",
                "currency": "USD",
                "channel": "card_present",
                "merchant_id": f"m-{n % 3}",
            }
        )
    return rows


def read_topic(bus: InProcessBus, topic: str, group: str = "test-reader") -> list[Envelope]:
    """Every message on ``topic`` from the start, acked by a throwaway group."""
    with bus.subscribe(topic, group) as sub:
        out: list[Envelope] = []
        while batch := sub.fetch(1000):
            for delivery in batch:
                sub.ack(delivery)
            out.extend(d.envelope for d in batch)
    return out


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0 + timedelta(days=1))


@pytest.fixture
def bus() -> Iterator[InProcessBus]:
    with InProcessBus(partitions=4) as b:
        yield b


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecisionStore]:
    with DecisionStore(tmp_path / "decisions.db") as s:
        yield s


@pytest.fixture
def publish(bus: InProcessBus, clock: SimulatedClock) -> Callable[[list[dict[str, Any]]], None]:
    def go(rows: list[dict[str, Any]]) -> None:
        bus.publish_many(TRANSACTIONS_TOPIC, transaction_envelopes(rows, clock=clock))

    return go


@pytest.fixture
def make_scorer() -> type[RulesOnlyTestScorer]:
    """The test-double scorer class (fixtures, because test modules cannot import conftest)."""
    return RulesOnlyTestScorer


@pytest.fixture
def rows() -> Callable[..., list[dict[str, Any]]]:
    return make_rows


@pytest.fixture
def outcome_of() -> Callable[[int], str]:
    return expected_outcome


@pytest.fixture
def read(bus: InProcessBus) -> Callable[..., list[Envelope]]:
    return lambda topic, group="test-reader": read_topic(bus, topic, group)


@pytest.fixture
def until() -> Callable[..., None]:
    return wait_for
