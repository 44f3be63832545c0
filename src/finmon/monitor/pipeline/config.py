"""The pipeline's knobs, checked once when the pipeline is built.

Defaults suit the in-process demo: batches of up to 256 messages or 5 ms,
whichever comes first, keep per-transaction latency in the low milliseconds
while letting the model score whole batches at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from finmon.core.errors import ValidationError
from finmon.events.bus import check_group, check_topic
from finmon.sources.events import TRANSACTIONS_TOPIC

OnInvalid = Literal["decide", "dead_letter"]
DECISIONS_TOPIC = "decisions"
MONITOR_GROUP = "monitor"


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """How the monitor consumes, batches, decides and acknowledges.

    Attributes:
        topic: where ``transaction.received`` events arrive.
        group: the consumer group; every pipeline of one deployment shares it,
            so partitions (accounts) are split between instances.
        decisions_topic: where ``decision.made`` events go.
        max_batch: the most messages scored in one call of the scorer.
        max_wait_ms: how long a started batch waits for more messages.
        queue_size: the bounded queue between fetching and scoring; when it is
            full the fetcher stops fetching (backpressure), it never drops.
        on_invalid: ``decide`` answers an invalid payload with a ``review``
            decision naming the field; ``dead_letter`` moves the event to
            ``<topic>.dlq`` instead. Either way it is never approved.
        alert_threshold: a review/block decision with a score at or above this
            (or with an active rule hit) is an alert and gets an ``alert_id``.
        latency_budget_us: the latency budget of a batch, counted from the
            arrival of its oldest message; the scorer gets the resulting instant
            as ``deadline_us`` and answers on rules alone past it (None: no budget).
        ack_wait: seconds the bus waits for an ack before redelivering; must
            exceed the time a message can spend queued plus scored.
        max_deliver: deliveries before the bus dead-letters a message that keeps failing.
        poll_timeout_s: how long one fetch waits for messages.
        retry_delay_s: delay before a batch that failed (scorer, store, bus) is redelivered.
        latency_window: how many recent latencies :meth:`stats` keeps for p50/p99.
    """

    topic: str = TRANSACTIONS_TOPIC
    group: str = MONITOR_GROUP
    decisions_topic: str = DECISIONS_TOPIC
    max_batch: int = 256
    max_wait_ms: float = 5.0
    queue_size: int = 4096
    on_invalid: OnInvalid = "decide"
    alert_threshold: int = 70
    latency_budget_us: int | None = None
    ack_wait: float = 30.0
    max_deliver: int | None = 5
    poll_timeout_s: float = 0.05
    retry_delay_s: float = 1.0
    latency_window: int = 10_000

    def __post_init__(self) -> None:
        check_topic(self.topic)
        check_topic(self.decisions_topic)
        check_group(self.group)
        _require(self.max_batch >= 1, "max_batch", "must be at least 1")
        _require(self.max_wait_ms >= 0, "max_wait_ms", "must not be negative")
        _require(self.queue_size >= 1, "queue_size", "must be at least 1")
        _require(
            self.on_invalid in ("decide", "dead_letter"),
            "on_invalid",
            "must be 'decide' or 'dead_letter'",
        )
        _require(0 <= self.alert_threshold <= 100, "alert_threshold", "must be within 0..100")
        _require(
            self.latency_budget_us is None or self.latency_budget_us > 0,
            "latency_budget_us",
            "must be positive",
        )
        _require(self.ack_wait > 0, "ack_wait", "must be positive")
        _require(self.poll_timeout_s >= 0, "poll_timeout_s", "must not be negative")
        _require(self.retry_delay_s >= 0, "retry_delay_s", "must not be negative")
        _require(self.latency_window >= 1, "latency_window", "must be at least 1")


def _require(ok: bool, name: str, reason: str) -> None:
    if not ok:
        raise ValidationError(f"{name} {reason}", field=name)


__all__ = ["DECISIONS_TOPIC", "MONITOR_GROUP", "OnInvalid", "PipelineConfig"]
