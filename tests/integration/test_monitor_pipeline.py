"""The monitor pipeline on a simulated bank's transactions: two consumers, one leaving mid-run.

A few thousand generated transactions go through two threaded pipelines of one
consumer group sharing one decision store; one is stopped without draining
half way, so its partitions (and its unacked messages) move to the other. Every
transaction must still end with exactly one decision and one event, and the
scorer (a rules-only test double here) must never see a transaction twice.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from prometheus_client import CollectorRegistry

from finmon.core.clock import SimulatedClock
from finmon.core.errors import Problem
from finmon.events.inprocess_bus import InProcessBus
from finmon.monitor.decision import Decision, Reason
from finmon.monitor.pipeline import DECISIONS_TOPIC, DecisionStore, MonitorPipeline, PipelineConfig
from finmon.monitor.transaction import Txn
from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelopes

TRANSACTIONS = 4000


class WireRuleTestScorer:
    """Test double of the engine: reviews wires and transfers above 5,000.00, nothing else."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def score_many(self, txns: Sequence[Txn], *, deadline_us: int | None = None) -> list[Decision]:
        with self._lock:
            self.seen.update(t.transaction_id for t in txns)
        return [self._one(t) for t in txns]

    def invalid(
        self, transaction_id: str, problems: Sequence[Problem], occurred_us: int = 0
    ) -> Decision:
        field = problems[0].field if problems else "payload"
        reason = Reason("input", field, f"invalid input: {field}")
        return Decision(transaction_id, 50, "review", True, (reason,), occurred_us=occurred_us)

    @staticmethod
    def _one(txn: Txn) -> Decision:
        if txn.channel in ("wire", "transfer") and txn.amount_minor > 500_000:
            reason = Reason("rule", "TEST_BIG_WIRE", "wire above 5,000.00", 75.0)
            return Decision(txn.transaction_id, 75, "review", False, (reason,), ("TEST_BIG_WIRE",))
        return Decision(txn.transaction_id, 3, "approve", False, ())


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    out = tmp_path_factory.mktemp("sim")
    command = [sys.executable, "-m", "finmon", "sim", "generate", "-o", str(out), "-s", "demo"]
    subprocess.run([*command, "--transactions", str(TRANSACTIONS)], check=True, capture_output=True)
    table = pq.read_table(out / "transactions.parquet")
    return [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]


def test_two_consumers_one_leaving_mid_run_decide_each_transaction_once(
    rows: list[dict[str, object]], tmp_path: Path
) -> None:
    clock = SimulatedClock()
    scorer = WireRuleTestScorer()
    config = PipelineConfig(max_batch=128, queue_size=256, retry_delay_s=0.0)
    with InProcessBus(partitions=8) as bus, DecisionStore(tmp_path / "d.db") as store:
        registries = [CollectorRegistry(), CollectorRegistry()]
        a, b = (
            MonitorPipeline(bus, scorer, store, config=config, clock=clock, registry=r)
            for r in registries
        )
        a.start()
        b.start()
        half = len(rows) // 2
        bus.publish_many(TRANSACTIONS_TOPIC, transaction_envelopes(rows[:half], clock=clock))
        deadline = time.monotonic() + 30
        while store.count() < half // 4 and time.monotonic() < deadline:
            time.sleep(0.002)
        b.stop(drain=False)  # leaves mid-run: its partitions and unacked messages move to a
        bus.publish_many(TRANSACTIONS_TOPIC, transaction_envelopes(rows[half:], clock=clock))
        while store.count() < len(rows) and time.monotonic() < deadline:
            time.sleep(0.005)
        a.stop(drain=True)

        ids = {str(r["transaction_id"]) for r in rows}
        assert store.count() == len(ids)
        assert set(scorer.seen) == ids
        assert max(scorer.seen.values()) == 1
        assert b.stats()["transactions"] > 0  # b did take part before it left
        assert a.stats()["transactions"] + b.stats()["transactions"] >= len(rows)
        with bus.subscribe(DECISIONS_TOPIC, "reader") as reader:
            events = []
            while batch := reader.fetch(5000):
                events.extend(d.envelope for d in batch)
        assert {e.payload["transaction_id"] for e in events} == ids
        assert len({e.id for e in events}) == len(ids)
        assert a.stats()["latency_p99_us"] is not None
