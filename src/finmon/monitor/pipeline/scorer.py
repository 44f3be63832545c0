"""What the pipeline needs from the scoring engine, and nothing more.

The engine (:mod:`finmon.monitor.engine`) is built separately; the pipeline
codes against this protocol so either side can change behind it, and so tests
can drive the runtime with a small rules-only double instead of a trained model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from finmon.core.errors import Problem
from finmon.monitor.decision import Decision
from finmon.monitor.transaction import Txn


@runtime_checkable
class Scorer(Protocol):
    """Turns transactions into decisions."""

    def score_many(self, txns: Sequence[Txn], *, deadline_us: int | None = None) -> list[Decision]:
        """One decision per transaction, in the same order.

        The scorer micro-batches its model internally. ``deadline_us`` is an
        instant on the performance counter (``time.perf_counter_ns() // 1000``)
        after which it should answer on rules alone (``degraded``); the
        pipeline sets it to the oldest message's arrival plus
        ``PipelineConfig.latency_budget_us``, or None when there is no budget.
        The pipeline calls it once per micro-batch, in transaction order
        within each partition, and never again for a transaction id it has
        already decided (stateful features stay exact).
        """
        ...

    def invalid(
        self, transaction_id: str, problems: Sequence[Problem], occurred_us: int = 0
    ) -> Decision:
        """A ``review`` decision for an input that failed validation, naming the field."""
        ...


__all__ = ["Scorer"]
