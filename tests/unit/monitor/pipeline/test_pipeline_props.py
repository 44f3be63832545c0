"""Property: however duplicates interleave and batches fall, one decision per transaction.

The bus here does no publish-side de-duplication (``dedupe_window=0``), so every
copy of a transaction reaches the pipeline, in the same batch as the original
or a later one; and the consumer may stop between batches. The store must hold
exactly one decision per distinct transaction id, the scorer must have seen
each id exactly once, and the decisions topic must carry one event id per id.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finmon.core.clock import SimulatedClock
from finmon.events.inprocess_bus import InProcessBus
from finmon.monitor.pipeline import DECISIONS_TOPIC, DecisionStore, MonitorPipeline, PipelineConfig
from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelopes

steps = st.lists(
    st.tuples(
        st.lists(st.integers(0, 11), min_size=0, max_size=8),  # ids published (dupes welcome)
        st.integers(0, 10),  # then process at most this many messages (0: none)
        st.booleans(),  # then restart the consumer
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps, max_batch=st.integers(1, 6))
def test_one_decision_per_distinct_transaction(
    plan: list[tuple[list[int], int, bool]], max_batch: int, make_scorer: Any, rows: Any
) -> None:
    clock = SimulatedClock()
    table = rows(12)
    scorer = make_scorer()
    config = PipelineConfig(max_batch=max_batch, retry_delay_s=0.0)
    with tempfile.TemporaryDirectory() as tmp, InProcessBus(partitions=3, dedupe_window=0) as bus:
        store = DecisionStore(Path(tmp) / "d.db")
        monitor = MonitorPipeline(bus, scorer, store, config=config, clock=clock)
        published: set[str] = set()
        for ids, budget, restart in plan:
            chosen = [table[i] for i in ids]
            bus.publish_many(TRANSACTIONS_TOPIC, transaction_envelopes(chosen, clock=clock))
            published.update(r["transaction_id"] for r in chosen)
            if budget:
                monitor.run_until_idle(max_messages=budget)
            if restart:
                monitor.close()
                monitor = MonitorPipeline(bus, scorer, store, config=config, clock=clock)
        monitor.run_until_idle()

        assert store.count() == len(published)
        assert set(store.get_many(sorted(published))) == published
        assert Counter(scorer.scored) == Counter(dict.fromkeys(published, 1))
        with bus.subscribe(DECISIONS_TOPIC, "reader") as reader:
            events = [d.envelope for d in reader.fetch(10_000)]
        assert {e.payload["transaction_id"] for e in events} == published
        assert len({e.id for e in events}) == len(published)
        store.close()
