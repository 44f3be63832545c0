"""One micro-batch, from deliveries to settled messages: check, decide, persist, publish.

The order is what makes at-least-once delivery safe:

1. payloads are validated; an invalid one is answered with the scorer's
   ``review`` decision (or dead-lettered, when so configured);
2. transactions already in the store are *not* scored again (a stateful
   scorer would count a redelivered transaction twice in its windows);
3. new decisions are written idempotently (:meth:`DecisionStore.put_new`);
4. a ``decision.made`` event is published for every transaction of the batch,
   stored earlier or now: a pipeline that crashed between steps 3 and 5
   republishes on redelivery, and the deterministic event id lets the bus and
   the consumers drop the copy;
5. only then are the messages acked (the caller does it with the returned lists).

A failure of the scorer, the store or the bus never crashes the pipeline and
never approves anything: the affected messages are given back (nacked) and the
bus redelivers them, then dead-letters them after ``max_deliver`` attempts.
When ``score_many`` raises for a batch, its transactions are retried one by
one so a single poison transaction costs only itself; a stateful scorer may
then have seen the batch's earlier transactions twice (the engine's windows
would count them twice), which is the price of not stalling the partition.
Likewise, when the store fails after scoring, the redelivered batch is scored
again: only a decision that reached the store is never recomputed.

Stamps the pipeline adds: ``latency_us`` is replaced by the time from the
message's arrival in the pipeline to its decision (the scorer cannot see the
arrival), an ``alert_id`` is set when the decision is an alert and the scorer
left it empty, and ``decided_at_us`` comes from the injected clock.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from finmon.core.clock import Clock
from finmon.core.errors import Problem, ValidationError
from finmon.events.bus import DLQ_SUFFIX, Bus, Delivery
from finmon.events.envelope import Envelope
from finmon.monitor.decision import Decision
from finmon.monitor.pipeline.config import PipelineConfig
from finmon.monitor.pipeline.events import alert_id_of, decision_envelope
from finmon.monitor.pipeline.metrics import PipelineMetrics
from finmon.monitor.pipeline.parse import check_payloads
from finmon.monitor.pipeline.scorer import Scorer
from finmon.monitor.pipeline.store import BaseDecisionStore, StoredDecision, check_decision
from finmon.monitor.transaction import Txn, to_micros
from finmon.sources.events import TRANSACTION_RECEIVED

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Arrival:
    """A delivery and when it reached the pipeline (``time.perf_counter_ns``).

    Latency is measured with the process's performance counter, not the
    injected clock: it is a property of this machine's work, and a simulated
    clock that only moves when told would report zero.
    """

    delivery: Delivery
    arrived_ns: int


@dataclass(slots=True)
class Settlement:
    """What to do with each delivery of a processed batch."""

    ack: list[Delivery] = field(default_factory=list)
    nack: list[Delivery] = field(default_factory=list)


@dataclass(slots=True)
class _Item:
    arrival: Arrival
    transaction_id: str
    txn: Txn | None
    problems: tuple[Problem, ...]

    @property
    def envelope(self) -> Envelope:
        return self.arrival.delivery.envelope

    @property
    def account_id(self) -> str:
        return self.txn.account_id if self.txn is not None else self.envelope.partition_key


class ScorerContractError(RuntimeError):
    """The scorer answered with the wrong number of decisions or for the wrong transaction."""


class BatchProcessor:
    """Turns one batch of deliveries into stored decisions, events and a settlement."""

    def __init__(
        self,
        scorer: Scorer,
        store: BaseDecisionStore,
        publisher: Bus,
        config: PipelineConfig,
        clock: Clock,
        metrics: PipelineMetrics,
    ) -> None:
        self._scorer = scorer
        self._store = store
        self._publisher = publisher
        self._config = config
        self._clock = clock
        self._metrics = metrics

    def process(self, batch: Sequence[Arrival]) -> Settlement:
        """Decide, persist and publish; never raises for bad input or a failing backend."""
        self._metrics.batch(len(batch))
        result = Settlement()
        transactions = []
        for arrival in batch:
            if arrival.delivery.envelope.type == TRANSACTION_RECEIVED:
                transactions.append(arrival)
            else:
                result.ack.append(arrival.delivery)
        self._metrics.skipped(len(result.ack))
        items = _items(transactions)
        if self._config.on_invalid == "dead_letter":
            self._dead_letter([i for i in items if i.txn is None], result)
            items = [i for i in items if i.txn is not None]
        try:
            self._decide_and_publish(items, result)
        except Exception:
            log.exception("monitor batch of %d failed; giving it back", len(items))
            self._metrics.failed("store_or_publish")
            result.nack.extend(i.arrival.delivery for i in items)
        return result

    # --- steps ------------------------------------------------------------------------

    def _dead_letter(self, invalid: list[_Item], result: Settlement) -> None:
        """Move invalid payloads to ``<topic>.dlq`` and ack them; nack them if that fails."""
        if not invalid:
            return
        try:
            self._publisher.publish_many(
                self._config.topic + DLQ_SUFFIX, [i.envelope for i in invalid]
            )
        except Exception:
            log.exception("could not dead-letter %d invalid payloads", len(invalid))
            self._metrics.failed("dead_letter", len(invalid))
            result.nack.extend(i.arrival.delivery for i in invalid)
            return
        self._metrics.invalid("dead_letter", len(invalid))
        result.ack.extend(i.arrival.delivery for i in invalid)

    def _decide_and_publish(self, items: list[_Item], result: Settlement) -> None:
        by_id: dict[str, list[_Item]] = {}
        for item in items:
            by_id.setdefault(item.transaction_id, []).append(item)
        known = self._store.get_many(list(by_id))
        fresh = [group[0] for tid, group in by_id.items() if tid not in known]
        decisions, failed = self._decide(fresh)
        records = self._records(fresh, decisions)
        inserted = self._store.put_new(records)
        persisted_ns = time.perf_counter_ns()
        self._account(inserted, by_id, persisted_ns)
        new_ids = {r.transaction_id for r in inserted}
        # Decided here but stored meanwhile by another writer: publish the stored one.
        lost = [r.transaction_id for r in records if r.transaction_id not in new_ids]
        known.update(self._store.get_many(lost) if lost else {})
        known.update((r.transaction_id, r) for r in inserted)
        self._publish([(by_id[tid][0], known[tid]) for tid in by_id if tid in known])
        self._metrics.duplicates(len(items) - len(fresh))
        for tid, group in by_id.items():
            target = result.nack if tid in failed else result.ack
            target.extend(i.arrival.delivery for i in group)

    def _decide(self, items: list[_Item]) -> tuple[dict[str, Decision], set[str]]:
        """Decisions for new transactions by id, and the ids the scorer failed on."""
        decisions: dict[str, Decision] = {}
        failed: set[str] = set()
        valid = [i for i in items if i.txn is not None]
        try:
            decisions.update(self._score(valid))
        except Exception:
            log.exception("scorer failed on a batch of %d; retrying one by one", len(valid))
            self._metrics.failed("score_batch")
            for item in valid:
                try:
                    decisions.update(self._score([item]))
                except Exception:
                    log.exception("scorer failed on %s", item.transaction_id)
                    self._metrics.failed("score")
                    failed.add(item.transaction_id)
        for item in items:
            if item.txn is None:
                try:
                    decisions[item.transaction_id] = self._invalid(item)
                except Exception:
                    log.exception("scorer failed on invalid input %s", item.transaction_id)
                    self._metrics.failed("score")
                    failed.add(item.transaction_id)
        return decisions, failed

    def _score(self, items: list[_Item]) -> dict[str, Decision]:
        txns = [i.txn for i in items if i.txn is not None]
        if not txns:
            return {}
        answers = self._scorer.score_many(txns, deadline_us=self._deadline_us(items))
        if len(answers) != len(txns):
            raise ScorerContractError(f"{len(answers)} decisions for {len(txns)} transactions")
        for txn, decision in zip(txns, answers, strict=True):
            if decision.transaction_id != txn.transaction_id:
                raise ScorerContractError(
                    f"decision for {decision.transaction_id!r} in the place of "
                    f"{txn.transaction_id!r}"
                )
            _check(decision)
        return {d.transaction_id: d for d in answers}

    def _deadline_us(self, items: list[_Item]) -> int | None:
        """The budget's end on the performance counter, from the oldest arrival (µs)."""
        budget = self._config.latency_budget_us
        if budget is None:
            return None
        return min(i.arrival.arrived_ns for i in items) // 1000 + budget

    def _invalid(self, item: _Item) -> Decision:
        occurred_us = to_micros(item.envelope.occurred_at)
        decision = self._scorer.invalid(item.transaction_id, item.problems, occurred_us)
        if decision.transaction_id != item.transaction_id:
            raise ScorerContractError(f"invalid() answered for {decision.transaction_id!r}")
        _check(decision)
        if decision.outcome == "approve":
            # Bad input is never approved, whatever the scorer says.
            decision = dataclasses.replace(decision, outcome="review")
        self._metrics.invalid("decision")
        return decision

    def _records(self, items: list[_Item], decisions: dict[str, Decision]) -> list[StoredDecision]:
        """Stamp decisions: latency (arrival to now), alert id, decision time, account."""
        decided_ns = time.perf_counter_ns()
        decided_at_us = to_micros(self._clock.now())
        threshold = self._config.alert_threshold
        records = []
        for item in items:
            decision = decisions.get(item.transaction_id)
            if decision is None:
                continue
            stamped = dataclasses.replace(
                decision,
                latency_us=(decided_ns - item.arrival.arrived_ns) // 1000,
                alert_id=alert_id_of(decision, threshold),
            )
            records.append(StoredDecision(stamped, decided_at_us, item.account_id))
        return records

    def _account(
        self, inserted: list[StoredDecision], by_id: dict[str, list[_Item]], persisted_ns: int
    ) -> None:
        self._metrics.decided(r.decision for r in inserted)
        self._metrics.latencies_ns(
            persisted_ns - by_id[r.transaction_id][0].arrival.arrived_ns for r in inserted
        )

    def _publish(self, pairs: list[tuple[_Item, StoredDecision]]) -> None:
        if not pairs:
            return
        envelopes = [
            decision_envelope(
                record,
                causation_id=item.envelope.id,
                correlation_id=item.envelope.correlation_id,
            )
            for item, record in pairs
        ]
        self._publisher.publish_many(self._config.decisions_topic, envelopes)


def _check(decision: Decision) -> None:
    """A decision the store would refuse is the scorer's fault: isolate it, not the batch."""
    try:
        check_decision(decision)
    except ValidationError as exc:
        raise ScorerContractError(f"{decision.transaction_id}: {exc.message}") from exc


def _items(arrivals: list[Arrival]) -> list[_Item]:
    """Check every payload; an invalid one without a transaction id is keyed by its event id."""
    checked = check_payloads([a.delivery.envelope.payload for a in arrivals])
    items = []
    for arrival, check in zip(arrivals, checked, strict=True):
        tid = check.transaction_id or f"event:{arrival.delivery.envelope.id}"
        items.append(_Item(arrival, tid, check.txn, check.problems))
    return items


__all__ = ["Arrival", "BatchProcessor", "ScorerContractError", "Settlement"]
