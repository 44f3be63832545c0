"""The event Bus: partitioned topics, consumer groups, at-least-once delivery.

Producers ``publish`` envelopes to a topic; the topic is split into partitions
and an envelope's ``partition_key`` picks one with a stable hash, so every event
of one key (one account, one customer) lands in one partition, in order.
Consumers ``subscribe`` as members of a named group: the members of a group
split the partitions between them, and every group sees every message.

Delivery is at-least-once. A delivered message stays in flight until the
consumer ``ack``s it; a ``nack``, an ``ack_wait`` that runs out, or a partition
moving to another member (a join or a leave rebalances the group) makes it due
for redelivery with ``attempt`` one higher. After ``max_deliver`` attempts it
goes to the dead-letter topic ``<topic>.dlq`` and counts as acked, so one
poison message cannot stall its partition forever. Because of redelivery,
consumers must be idempotent (de-duplicate on ``envelope.id``); strict order is
kept for first deliveries within a partition, not across redeliveries.

Each group keeps, per partition, a committed offset: the lowest offset not yet
acked. Acks may come in any order; the committed offset moves only over a
contiguous acked prefix, so a restart from it never skips an unacked message.

Publishing the same envelope id twice within the de-duplication window stores
it once (``Published.duplicate``), like JetStream's ``Nats-Msg-Id``; the window
here counts messages per topic where JetStream's counts time.

This module holds the protocols and what every implementation shares;
:mod:`finmon.events.inprocess_bus` ships :class:`InProcessBus` (sync,
thread-safe, in memory). The :class:`Bus` and :class:`Subscription` protocols
are shaped so a NATS JetStream implementation can stand behind them: offset =
stream sequence, ``sequence`` = consumer delivery sequence, ``attempt`` =
delivery count, group = durable consumer.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from finmon.core.errors import ValidationError
from finmon.events.envelope import Envelope

Start = Literal["earliest", "latest"]
DLQ_SUFFIX = ".dlq"

_TOPIC_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
# NATS durable consumer names may not hold '.', '*', '>' or spaces; keep groups portable.
_GROUP_RE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Published:
    """Where a published envelope was stored; ``duplicate`` when it was already there."""

    topic: str
    partition: int
    offset: int
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of one message to one group member.

    Attributes:
        envelope: the event.
        topic: the topic it was published to.
        partition: its partition in that topic.
        offset: its position in the partition (JetStream: stream sequence).
        attempt: 1 for the first delivery, then one more for each redelivery.
        group: the consumer group it was delivered to.
        sequence: this delivery's number within the group (JetStream: consumer
            sequence); it tells a live delivery from a stale or a forged one.
    """

    envelope: Envelope
    topic: str
    partition: int
    offset: int
    attempt: int
    group: str
    sequence: int

    @property
    def redelivered(self) -> bool:
        """True when an earlier delivery of this message was not acked in time."""
        return self.attempt > 1


@runtime_checkable
class Subscription(Protocol):
    """One member of a consumer group on one topic."""

    @property
    def topic(self) -> str: ...

    @property
    def group(self) -> str: ...

    @property
    def closed(self) -> bool: ...

    @property
    def assigned_partitions(self) -> tuple[int, ...]:
        """The partitions this member owns now; changes when members join or leave."""
        ...

    @property
    def lag(self) -> int:
        """Messages not yet acked in this member's partitions."""
        ...

    def fetch(self, max_messages: int = 100, timeout: float = 0.0) -> list[Delivery]:
        """Up to ``max_messages`` due deliveries; waits up to ``timeout`` seconds for one."""
        ...

    def ack(self, delivery: Delivery) -> None:
        """Mark the message processed; acking an already acked message is a no-op."""
        ...

    def nack(self, delivery: Delivery, *, delay: float = 0.0) -> None:
        """Give the message back for redelivery after ``delay`` seconds."""
        ...

    def close(self) -> None:
        """Leave the group: partitions move to the others, unacked messages are redelivered."""
        ...


@runtime_checkable
class Bus(Protocol):
    """Partitioned publish/subscribe with consumer groups and at-least-once delivery."""

    def publish(self, topic: str, envelope: Envelope) -> Published: ...

    def publish_many(self, topic: str, envelopes: Iterable[Envelope]) -> list[Published]: ...

    def subscribe(
        self,
        topic: str,
        group: str,
        *,
        start: Start = "earliest",
        ack_wait: float = 30.0,
        max_deliver: int | None = 5,
    ) -> Subscription: ...

    def stats(self) -> dict[str, Any]:
        """Counters per topic and group, as JSON-compatible data."""
        ...

    def close(self) -> None: ...


def partition_for(key: str, partitions: int) -> int:
    """The partition of ``key``: CRC-32 of its UTF-8 bytes modulo ``partitions``.

    Python's ``hash()`` is salted per process, so it would scatter one key over
    different partitions across restarts and machines; CRC-32 is the same
    everywhere, which a later JetStream implementation can reuse.
    """
    return zlib.crc32(key.encode("utf-8")) % partitions


def check_topic(topic: str) -> str:
    """Return ``topic`` if it is dotted lowercase segments, else raise ValidationError."""
    if not isinstance(topic, str) or not _TOPIC_RE.fullmatch(topic):
        raise ValidationError(
            f"topic must be dotted lowercase segments of [a-z0-9_-], got {topic!r}",
            field="topic",
        )
    return topic


def check_group(group: str) -> str:
    """Return ``group`` if it is a portable consumer-group name, else raise naming the field."""
    if not isinstance(group, str) or not _GROUP_RE.fullmatch(group):
        raise ValidationError(f"group must match [A-Za-z0-9_-]+, got {group!r}", field="group")
    return group


def __getattr__(name: str) -> Any:
    """``from finmon.events.bus import InProcessBus`` keeps working (PEP 562, no import cycle)."""
    if name in {"InProcessBus", "InProcessSubscription"}:
        from finmon.events import inprocess_bus

        return getattr(inprocess_bus, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DLQ_SUFFIX",
    "Bus",
    "Delivery",
    "Published",
    "Start",
    "Subscription",
    "check_group",
    "check_topic",
    "partition_for",
]
