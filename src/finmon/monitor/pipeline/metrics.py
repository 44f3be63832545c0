"""The pipeline's measurements: Prometheus series, plus a plain summary for the CLI.

Series live in a :class:`~prometheus_client.CollectorRegistry` the caller
passes in (a fresh one by default, never the global one, so two pipelines in
one process, or in one test run, do not collide). :meth:`PipelineMetrics.stats`
keeps the numbers a terminal shows (p50/p99 latency) without scraping:
latencies go into a bounded window of the most recent observations, which says
how the pipeline behaves *now* and costs fixed memory however long it runs.
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections import deque
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from finmon.monitor.decision import OUTCOMES, Decision

LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)


class PipelineMetrics:
    """Counters of what the pipeline did; thread-safe.

    Attributes mirror the Prometheus series (``finmon_monitor_*``):
    ``transactions`` counts messages settled (acked), redeliveries included;
    ``decisions`` counts decisions newly stored, by outcome, so it equals the
    store's count when the pipeline is the only writer.
    """

    def __init__(self, registry: CollectorRegistry | None = None, window: int = 10_000) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._transactions = Counter(
            "finmon_monitor_transactions", "Messages processed and acked", registry=r
        )
        self._decisions = Counter(
            "finmon_monitor_decisions", "Decisions stored, by outcome", ["outcome"], registry=r
        )
        self._degraded = Counter(
            "finmon_monitor_degraded_decisions", "Decisions made without the model", registry=r
        )
        self._alerts = Counter(
            "finmon_monitor_alerts", "Decisions that raised an alert", registry=r
        )
        self._invalid = Counter(
            "finmon_monitor_invalid_inputs",
            "Payloads that failed validation, by what was done with them",
            ["action"],
            registry=r,
        )
        self._duplicates = Counter(
            "finmon_monitor_duplicates", "Messages for transactions already decided", registry=r
        )
        self._skipped = Counter(
            "finmon_monitor_skipped", "Messages of another event type, acked unread", registry=r
        )
        self._failures = Counter(
            "finmon_monitor_failures",
            "Batches or messages given back, by stage",
            ["stage"],
            registry=r,
        )
        self._latency = Histogram(
            "finmon_monitor_latency_seconds",
            "From a message's arrival in the pipeline to its decision being stored",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._batch = Histogram(
            "finmon_monitor_batch_size",
            "Messages per processed batch",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self._queue = Gauge(
            "finmon_monitor_queue_depth", "Messages fetched and waiting to be scored", registry=r
        )
        for outcome in OUTCOMES:
            self._decisions.labels(outcome=outcome)
        self._lock = threading.Lock()
        self._window: deque[int] = deque(maxlen=window)
        self._tally: Tally[str] = Tally()
        self._by_outcome: Tally[str] = Tally()

    def settled(self, messages: int) -> None:
        self._transactions.inc(messages)
        self._count("transactions", messages)

    def decided(self, decisions: Iterable[Decision]) -> None:
        for decision in decisions:
            self._decisions.labels(outcome=decision.outcome).inc()
            with self._lock:
                self._by_outcome[decision.outcome] += 1
            if decision.degraded:
                self._degraded.inc()
                self._count("degraded", 1)
            if decision.alert_id is not None:
                self._alerts.inc()
                self._count("alerts", 1)

    def invalid(self, action: str, count: int = 1) -> None:
        self._invalid.labels(action=action).inc(count)
        self._count(f"invalid_{action}", count)

    def duplicates(self, count: int) -> None:
        self._duplicates.inc(count)
        self._count("duplicates", count)

    def skipped(self, count: int) -> None:
        self._skipped.inc(count)
        self._count("skipped", count)

    def failed(self, stage: str, count: int = 1) -> None:
        self._failures.labels(stage=stage).inc(count)
        self._count(f"failed_{stage}", count)

    def batch(self, size: int) -> None:
        self._batch.observe(size)
        self._count("batches", 1)

    def latencies_ns(self, values: Iterable[int]) -> None:
        values = list(values)
        for value in values:
            self._latency.observe(value / 1e9)
        with self._lock:
            self._window.extend(values)

    def queue_depth(self, depth: int) -> None:
        self._queue.set(depth)

    def stats(self) -> dict[str, Any]:
        """Counters, decisions by outcome and p50/p99 latency in µs over the recent window."""
        with self._lock:
            window = sorted(self._window)
            tally = dict(self._tally)
            outcomes = {o: self._by_outcome.get(o, 0) for o in OUTCOMES}
        return {
            **{k: tally.get(k, 0) for k in ("transactions", "degraded", "alerts", "duplicates")},
            **{k: v for k, v in tally.items() if k.startswith(("invalid_", "failed_"))},
            "skipped": tally.get("skipped", 0),
            "batches": tally.get("batches", 0),
            "decisions": outcomes,
            "latency_samples": len(window),
            "latency_p50_us": _percentile_us(window, 0.50),
            "latency_p99_us": _percentile_us(window, 0.99),
        }

    def _count(self, name: str, by: int) -> None:
        with self._lock:
            self._tally[name] += by


def _percentile_us(ordered: list[int], q: float) -> float | None:
    """Nearest-rank percentile of sorted nanoseconds, in µs; None without samples."""
    if not ordered:
        return None
    rank = max(1, -(-int(q * len(ordered) * 1000) // 1000))
    return ordered[min(rank, len(ordered)) - 1] / 1000


__all__ = ["BATCH_BUCKETS", "LATENCY_BUCKETS", "PipelineMetrics"]
