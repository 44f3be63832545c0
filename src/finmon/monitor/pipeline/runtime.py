"""The monitor's streaming runtime: fetch, queue, micro-batch, decide, ack.

Two threads when started (:meth:`MonitorPipeline.start`):

* the **fetcher** pulls deliveries from the bus subscription and puts them in
  a bounded queue. ``put`` blocks when the queue is full, so a slow scorer
  slows fetching down (backpressure) and nothing is ever dropped; the messages
  a blocked fetcher holds stay in flight on the bus, which is why
  ``ack_wait`` must exceed the time a message can wait in the queue.
* the **worker** takes up to ``max_batch`` messages, waiting at most
  ``max_wait_ms`` after the first, and hands them to the
  :class:`~finmon.monitor.pipeline.batch.BatchProcessor` (validate, score,
  persist, publish); then it acks what was settled and nacks what failed.

Acks come last: a crash anywhere before leaves the messages unacked and the
bus redelivers them; the idempotent store and deterministic event ids make the
repeat change nothing. At-least-once delivery, effectively-once decisions.

:meth:`MonitorPipeline.run_until_idle` does the same work synchronously in the
caller's thread (no queue), for tests, the CLI and replays.

Time: ``decided_at`` comes from the injected clock, so a simulated run stamps
simulated time. Two things use real time because they are about this
machine, not about the business: latency (``time.perf_counter_ns``) and the
waits of the threads (fetch timeouts, ``max_wait_ms``), which block on real
queues and conditions.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import ConflictError
from finmon.events.bus import Bus, Delivery, Subscription
from finmon.monitor.models.drift import DriftAlert, DriftMonitor
from finmon.monitor.pipeline.batch import Arrival, BatchProcessor, Settlement
from finmon.monitor.pipeline.config import PipelineConfig
from finmon.monitor.pipeline.metrics import PipelineMetrics
from finmon.monitor.pipeline.scorer import Scorer
from finmon.monitor.pipeline.store import BaseDecisionStore

log = logging.getLogger(__name__)

_JOIN_SLICE = 0.05  # how often a blocked put or get looks at the stop flags (seconds)


class MonitorPipeline:
    """Consumes ``transaction.received`` and produces stored, published decisions.

    Args:
        bus: where transactions arrive (and, unless ``publisher`` is given,
            where ``decision.made`` events and dead letters go).
        scorer: the scoring engine (see :class:`~finmon.monitor.pipeline.scorer.Scorer`).
        store: where decisions are persisted, idempotently.
        config: batching, queueing, invalid-input policy, topics.
        clock: stamps ``decided_at`` (latency uses the performance counter).
        registry: the Prometheus registry for the pipeline's series (a fresh one by default).
        publisher: another bus to publish decisions on, if not ``bus``.
    """

    def __init__(
        self,
        bus: Bus,
        scorer: Scorer,
        store: BaseDecisionStore,
        *,
        config: PipelineConfig | None = None,
        clock: Clock | None = None,
        registry: CollectorRegistry | None = None,
        publisher: Bus | None = None,
    ) -> None:
        self.config = config or PipelineConfig()
        self.metrics = PipelineMetrics(registry, window=self.config.latency_window)
        self._bus = bus
        self._scorer = scorer
        self._processor = BatchProcessor(
            scorer, store, publisher or bus, self.config, clock or SystemClock(), self.metrics
        )
        self._queue: queue.Queue[Arrival] = queue.Queue(maxsize=self.config.queue_size)
        self._subscription: Subscription | None = None
        self._threads: list[threading.Thread] = []
        self._stop_fetching = threading.Event()
        self._fetch_done = threading.Event()
        self._abort = threading.Event()
        self._lock = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        """Join the consumer group and start the fetcher and worker threads."""
        with self._lock:
            if self.running:
                raise ConflictError("the monitor pipeline is already running", field="pipeline")
            subscription = self._subscribe()
            self._stop_fetching.clear()
            self._fetch_done.clear()
            self._abort.clear()
            self._threads = [
                threading.Thread(
                    target=self._fetch_loop, args=(subscription,), name="monitor-fetch", daemon=True
                ),
                threading.Thread(
                    target=self._work_loop, args=(subscription,), name="monitor-work", daemon=True
                ),
            ]
            for thread in self._threads:
                thread.start()

    def stop(self, drain: bool = True, timeout: float | None = 30.0) -> None:
        """Stop fetching; with ``drain`` decide everything already fetched, else give it back.

        Either way no fetched message is lost: drained ones are decided and
        acked, the others are nacked for prompt redelivery. The subscription is
        closed (the group's partitions move to the other members).
        """
        with self._lock:
            self._stop_fetching.set()
            if not drain:
                self._abort.set()
            for thread in self._threads:
                thread.join(timeout)
            self._threads = []
            if self._subscription is not None:
                self._give_back(self._subscription, self._drain_queue())
        self.close()

    def close(self) -> None:
        """Leave the consumer group (unacked messages go back to the bus)."""
        if self._subscription is not None and not self._subscription.closed:
            self._subscription.close()
        self._subscription = None

    def run_until_idle(self, *, max_messages: int | None = None, timeout: float = 0.0) -> int:
        """Process due messages in this thread until none is left; return how many were settled.

        ``timeout`` is how long to wait for more once the subscription looks
        empty; ``max_messages`` bounds the work (None: no bound). The
        subscription stays open between calls (call :meth:`close` to leave).
        """
        if self.running:
            raise ConflictError("the pipeline is running in its threads", field="pipeline")
        subscription = self._subscribe()
        settled = 0
        while max_messages is None or settled < max_messages:
            room = self.config.max_batch
            if max_messages is not None:
                room = min(room, max_messages - settled)
            deliveries = subscription.fetch(room, timeout)
            if not deliveries:
                break
            now = time.perf_counter_ns()
            result = self._processor.process([Arrival(d, now) for d in deliveries])
            settled += self._settle(subscription, result)
        return settled

    def stats(self) -> dict[str, Any]:
        """Counters, decisions by outcome, p50/p99 latency (µs), queue depth, lag."""
        data = self.metrics.stats()
        data["queue_depth"] = self._queue.qsize()
        data["running"] = self.running
        subscription = self._subscription
        data["lag"] = (
            subscription.lag if subscription is not None and not subscription.closed else None
        )
        return data

    def check_drift(self) -> list[DriftAlert]:
        """PSI of live traffic against the model's training sample, exported as the
        ``finmon_model_psi`` gauges of this pipeline's registry; the drift alerts.

        Call it periodically (it costs a quantile pass per feature): drift is an
        hourly concern, not a per-transaction one. Empty when the scorer keeps no
        drift monitor (no model, or a model without a training sample).
        """
        monitor = getattr(self._scorer, "drift", None)
        if not isinstance(monitor, DriftMonitor):
            return []
        report = monitor.report()
        monitor.export(self.metrics.registry)
        return monitor.alerts(report)

    # --- threads ----------------------------------------------------------------------

    def _fetch_loop(self, subscription: Subscription) -> None:
        try:
            while not self._stop_fetching.is_set():
                # Fetch no more than the queue can take (at least one, to block on): the
                # messages held in memory stay bounded by queue_size + 1.
                room = max(1, min(self.config.max_batch, self._queue.maxsize - self._queue.qsize()))
                deliveries = subscription.fetch(room, self.config.poll_timeout_s)
                now = time.perf_counter_ns()
                for index, delivery in enumerate(deliveries):
                    if not self._put(Arrival(delivery, now)):
                        self._give_back(subscription, list(deliveries[index:]))
                        return
                self.metrics.queue_depth(self._queue.qsize())
        except Exception:
            log.exception("monitor fetcher stopped")
        finally:
            self._fetch_done.set()

    def _put(self, arrival: Arrival) -> bool:
        """Block until the queue has room (backpressure); False if told to abort meanwhile."""
        while not self._abort.is_set():
            try:
                self._queue.put(arrival, timeout=_JOIN_SLICE)
                return True
            except queue.Full:
                continue
        return False

    def _work_loop(self, subscription: Subscription) -> None:
        while not self._abort.is_set():
            batch = self._collect()
            if batch:
                try:
                    result = self._processor.process(batch)
                    self._settle(subscription, result)
                except Exception:  # the worker must outlive any one batch
                    log.exception("monitor worker failed on a batch; giving it back")
                    self._give_back(subscription, [a.delivery for a in batch])
            elif self._fetch_done.is_set() and self._queue.empty():
                return

    def _collect(self) -> list[Arrival]:
        """Up to ``max_batch`` arrivals: wait for the first, then up to ``max_wait_ms`` more."""
        try:
            first = self._queue.get(timeout=_JOIN_SLICE)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.config.max_wait_ms / 1000
        while len(batch) < self.config.max_batch:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or self._fetch_done.is_set():
                    batch.append(self._queue.get_nowait())
                else:
                    batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        self.metrics.queue_depth(self._queue.qsize())
        return batch

    # --- helpers ----------------------------------------------------------------------

    def _subscribe(self) -> Subscription:
        if self._subscription is None or self._subscription.closed:
            self._subscription = self._bus.subscribe(
                self.config.topic,
                self.config.group,
                start="earliest",
                ack_wait=self.config.ack_wait,
                max_deliver=self.config.max_deliver,
            )
        return self._subscription

    def _settle(self, subscription: Subscription, result: Settlement) -> int:
        """Ack what was decided, nack what failed; return how many were acked."""
        acked = 0
        for delivery in result.ack:
            try:
                subscription.ack(delivery)
                acked += 1
            except Exception:  # e.g. the partition moved away: the bus redelivers it
                log.exception("could not ack %s", delivery.envelope.id)
        self.metrics.settled(acked)
        self._give_back(subscription, result.nack, self.config.retry_delay_s)
        return acked

    def _give_back(
        self, subscription: Subscription, deliveries: Sequence[Delivery], delay: float = 0.0
    ) -> None:
        for delivery in deliveries:
            try:
                subscription.nack(delivery, delay=delay)
            except Exception:  # closed or moved: the bus redelivers it after ack_wait anyway
                log.exception("could not nack %s", delivery.envelope.id)

    def _drain_queue(self) -> list[Delivery]:
        left = []
        while True:
            try:
                left.append(self._queue.get_nowait().delivery)
            except queue.Empty:
                break
        self.metrics.queue_depth(0)
        return left


__all__ = ["MonitorPipeline"]
