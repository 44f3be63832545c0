"""The in-process Bus: every topic, partition and consumer group in this process's memory.

It implements :class:`finmon.events.bus.Bus` exactly as a broker would (see that
module for the delivery semantics), so the pipeline runs embedded with no
server and moves to NATS JetStream by configuration. One lock guards all state;
fetches wait on a condition variable.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import ConflictError, NotFoundError, UnavailableError, ValidationError
from finmon.events.bus import (
    DLQ_SUFFIX,
    Delivery,
    Published,
    Start,
    check_group,
    check_topic,
    partition_for,
)
from finmon.events.envelope import Envelope

# A blocked fetch wakes at least this often (real seconds) to notice an ack_wait that
# ran out, even on a simulated clock another thread advances without notifying us.
_WAIT_SLICE = 0.1


# --- in-process state (every access holds InProcessBus._lock) ----------------------


@dataclass(slots=True, eq=False)
class _Partition:
    base: int = 0  # offset of messages[0]; grows as retention trims the head
    messages: deque[Envelope] = field(default_factory=deque)

    @property
    def end(self) -> int:
        return self.base + len(self.messages)


@dataclass(slots=True, eq=False)
class _Pending:
    """A delivered (or released) message of a group that is not acked yet."""

    attempts: int
    owner: _Member | None  # None: waiting to be (re)delivered once ``due`` has come
    due: float  # in flight: ack deadline; waiting: earliest redelivery (clock.monotonic)
    sequences: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Cursor:
    """A group's position in one partition.

    Every offset in ``[committed, next)`` is either in ``acked`` or in ``pending``.
    """

    committed: int
    next: int
    acked: set[int] = field(default_factory=set)
    pending: dict[int, _Pending] = field(default_factory=dict)

    def is_acked(self, offset: int) -> bool:
        return offset < self.committed or offset in self.acked

    def unacked(self, end: int) -> int:
        return end - self.committed - len(self.acked)


@dataclass(slots=True, eq=False)
class _Member:
    name: str
    topic: str
    group: str
    partitions: tuple[int, ...] = ()
    closed: bool = False


@dataclass(slots=True, eq=False)
class _Group:
    name: str
    ack_wait: float
    max_deliver: int | None
    cursors: list[_Cursor]
    members: list[_Member] = field(default_factory=list)
    issued: dict[int, Delivery] = field(default_factory=dict)  # live deliveries by sequence
    sequence: int = 0
    joined: int = 0
    redelivered: int = 0
    dead_lettered: int = 0


@dataclass(slots=True, eq=False)
class _Topic:
    name: str
    partitions: list[_Partition]
    groups: dict[str, _Group] = field(default_factory=dict)
    seen: OrderedDict[str, Published] = field(default_factory=OrderedDict)
    published: int = 0
    duplicates: int = 0


class InProcessSubscription:
    """A group member of an :class:`InProcessBus`; every call goes through the bus lock."""

    def __init__(self, bus: InProcessBus, member: _Member) -> None:
        self._bus = bus
        self._member = member

    @property
    def topic(self) -> str:
        return self._member.topic

    @property
    def group(self) -> str:
        return self._member.group

    @property
    def name(self) -> str:
        """The member's name within its group (``<group>-<n>``), for logs."""
        return self._member.name

    @property
    def closed(self) -> bool:
        return self._member.closed

    @property
    def assigned_partitions(self) -> tuple[int, ...]:
        return self._bus._assigned(self._member)

    @property
    def lag(self) -> int:
        return self._bus._lag(self._member)

    def fetch(self, max_messages: int = 100, timeout: float = 0.0) -> list[Delivery]:
        return self._bus._fetch(self._member, max_messages, timeout)

    def ack(self, delivery: Delivery) -> None:
        self._bus._ack(self._member, delivery)

    def nack(self, delivery: Delivery, *, delay: float = 0.0) -> None:
        self._bus._nack(self._member, delivery, delay)

    def close(self) -> None:
        self._bus._leave(self._member)

    def __enter__(self) -> InProcessSubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"InProcessSubscription({self.topic!r}, {self.group!r}, name={self.name!r})"


class InProcessBus:
    """The Bus in memory: for tests, simulations and a single-process deployment.

    Args:
        partitions: partitions of every topic, created on first use.
        clock: measures ``ack_wait`` and ``nack`` delays (``monotonic()``), so a
            :class:`~finmon.core.clock.SimulatedClock` makes expiry deterministic.
            How long ``fetch`` blocks is always real time: it waits on a condition.
        dedupe_window: how many recent ids per topic are remembered for
            de-duplication; 0 turns it off.
        retention: the most messages kept per partition; None keeps all. Trimming
            never drops a message some existing group has not acked, so a slow
            group holds memory above this bound; a group created later with
            ``start="earliest"`` starts at the oldest message still kept.
    """

    def __init__(
        self,
        partitions: int = 8,
        clock: Clock | None = None,
        dedupe_window: int = 100_000,
        retention: int | None = None,
    ) -> None:
        _require(partitions >= 1, "partitions", "must be at least 1")
        _require(dedupe_window >= 0, "dedupe_window", "must not be negative")
        _require(retention is None or retention >= 1, "retention", "must be at least 1 or None")
        self._partitions = partitions
        self._clock: Clock = clock or SystemClock()
        self._dedupe_window = dedupe_window
        self._retention = retention
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._topics: dict[str, _Topic] = {}
        self._closed = False

    # --- public API ------------------------------------------------------------------

    def publish(self, topic: str, envelope: Envelope) -> Published:
        """Store ``envelope`` in its key's partition of ``topic`` and wake consumers."""
        return self.publish_many(topic, [envelope])[0]

    def publish_many(self, topic: str, envelopes: Iterable[Envelope]) -> list[Published]:
        """Publish several envelopes at once, in order; all or none are checked first."""
        check_topic(topic)
        batch = list(envelopes)
        for envelope in batch:
            if not isinstance(envelope, Envelope):
                raise ValidationError("only an Envelope can be published", field="envelope")
        with self._cond:
            self._ensure_open()
            state = self._topic(topic)
            published = [self._append(state, envelope, dedupe=True) for envelope in batch]
            self._cond.notify_all()
        return published

    def subscribe(
        self,
        topic: str,
        group: str,
        *,
        start: Start = "earliest",
        ack_wait: float = 30.0,
        max_deliver: int | None = 5,
    ) -> InProcessSubscription:
        """Join ``group`` on ``topic``, creating the group on first use.

        ``start`` only matters when the group is created: later members resume
        from the group's committed offsets. ``ack_wait`` and ``max_deliver``
        belong to the group (a durable consumer in JetStream); a member asking
        for different ones is refused rather than silently overruled.
        """
        check_topic(topic)
        _check_subscribe_args(group, start, ack_wait, max_deliver)
        with self._cond:
            self._ensure_open()
            state = self._topic(topic)
            state_group = state.groups.get(group)
            if state_group is None:
                state_group = self._new_group(state, group, start, ack_wait, max_deliver)
            elif (state_group.ack_wait, state_group.max_deliver) != (ack_wait, max_deliver):
                raise ConflictError(
                    f"group {group!r} on {topic!r} has ack_wait={state_group.ack_wait}, "
                    f"max_deliver={state_group.max_deliver}; a member cannot change them",
                    field="group",
                )
            state_group.joined += 1
            member = _Member(f"{group}-{state_group.joined}", topic, group)
            state_group.members.append(member)
            self._rebalance(state, state_group)
            self._cond.notify_all()
        return InProcessSubscription(self, member)

    def stats(self) -> dict[str, Any]:
        """Per topic: published, duplicates, retained; per group: lag, in flight, counters."""
        with self._lock:
            return {"topics": {name: _topic_stats(t) for name, t in self._topics.items()}}

    def end_offsets(self, topic: str) -> list[int]:
        """The next offset to be written, per partition of ``topic``."""
        with self._lock:
            return [p.end for p in self._known_topic(topic).partitions]

    def committed_offsets(self, topic: str, group: str) -> list[int]:
        """The lowest unacked offset, per partition, of ``group`` on ``topic``."""
        with self._lock:
            state = self._known_topic(topic)
            if group not in state.groups:
                raise NotFoundError(f"no group {group!r} on topic {topic!r}", field="group")
            return [c.committed for c in state.groups[group].cursors]

    def close(self) -> None:
        """Close every subscription and refuse further use; blocked fetches return []."""
        with self._cond:
            self._closed = True
            for state in self._topics.values():
                for group in state.groups.values():
                    for member in group.members:
                        member.closed = True
                        member.partitions = ()
                    group.members.clear()
            self._cond.notify_all()

    def __enter__(self) -> InProcessBus:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- subscription operations (called by InProcessSubscription) ---------------------

    def _assigned(self, member: _Member) -> tuple[int, ...]:
        with self._lock:
            return member.partitions

    def _lag(self, member: _Member) -> int:
        with self._lock:
            state = self._topics[member.topic]
            cursors = state.groups[member.group].cursors
            return sum(cursors[p].unacked(state.partitions[p].end) for p in member.partitions)

    def _fetch(self, member: _Member, max_messages: int, timeout: float) -> list[Delivery]:
        _require(max_messages >= 1, "max_messages", "must be at least 1")
        _require(timeout >= 0, "timeout", "must not be negative")
        deadline = time.monotonic() + timeout
        with self._cond:
            _ensure_member_open(member)
            while not member.closed:
                found = self._collect(member, max_messages)
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found
                self._cond.wait(min(remaining, _WAIT_SLICE))
            return []

    def _ack(self, member: _Member, delivery: Delivery) -> None:
        with self._lock:
            state, group, pending = self._locate(member, delivery)
            if pending is not None:
                self._settle(state, group, delivery.partition, delivery.offset)

    def _nack(self, member: _Member, delivery: Delivery, delay: float) -> None:
        _require(delay >= 0, "delay", "must not be negative")
        with self._cond:
            state, group, pending = self._locate(member, delivery)
            # Only the live delivery may give the message back: a stale one (expired,
            # or moved to another member since) must not yank it from its new owner.
            if pending is None or pending.owner is None:
                return
            if pending.sequences[-1] != delivery.sequence:
                return
            now = self._clock.monotonic()
            self._release(state, group, delivery.partition, delivery.offset, now + delay)
            self._cond.notify_all()

    def _leave(self, member: _Member) -> None:
        with self._cond:
            if member.closed:
                return
            member.closed = True
            member.partitions = ()
            state = self._topics[member.topic]
            group = state.groups[member.group]
            group.members.remove(member)
            self._rebalance(state, group)
            self._cond.notify_all()

    # --- internals (the lock is held) -------------------------------------------------

    def _ensure_open(self) -> None:
        if self._closed:
            raise UnavailableError("the bus is closed")

    def _topic(self, name: str) -> _Topic:
        state = self._topics.get(name)
        if state is None:
            state = _Topic(name, [_Partition() for _ in range(self._partitions)])
            self._topics[name] = state
        return state

    def _known_topic(self, name: str) -> _Topic:
        if name not in self._topics:
            raise NotFoundError(f"no topic {name!r}", field="topic")
        return self._topics[name]

    def _new_group(
        self, state: _Topic, name: str, start: Start, ack_wait: float, max_deliver: int | None
    ) -> _Group:
        positions = [p.base if start == "earliest" else p.end for p in state.partitions]
        cursors = [_Cursor(committed=pos, next=pos) for pos in positions]
        group = _Group(name, ack_wait, max_deliver, cursors)
        state.groups[name] = group
        return group

    def _append(self, state: _Topic, envelope: Envelope, *, dedupe: bool) -> Published:
        if dedupe and self._dedupe_window:
            seen = state.seen.get(envelope.id)
            if seen is not None:
                state.duplicates += 1
                return replace(seen, duplicate=True)
        index = partition_for(envelope.partition_key, len(state.partitions))
        partition = state.partitions[index]
        published = Published(state.name, index, partition.end)
        partition.messages.append(envelope)
        state.published += 1
        if dedupe and self._dedupe_window:
            state.seen[envelope.id] = published
            if len(state.seen) > self._dedupe_window:
                state.seen.popitem(last=False)
        self._trim(state, index)
        return published

    def _trim(self, state: _Topic, index: int) -> None:
        """Drop the oldest messages above ``retention`` that every group has acked."""
        if self._retention is None:
            return
        partition = state.partitions[index]
        floor = min((g.cursors[index].committed for g in state.groups.values()), default=None)
        keep_from = partition.end if floor is None else floor
        drop = min(len(partition.messages) - self._retention, keep_from - partition.base)
        for _ in range(max(drop, 0)):
            partition.messages.popleft()
        partition.base += max(drop, 0)

    def _rebalance(self, state: _Topic, group: _Group) -> None:
        """Range-assign partitions over members in join order; release moved messages.

        Deterministic and never double-assigning: each partition has one owner or
        none. A message in flight with a member that no longer owns its partition
        is released at once, so the new owner gets it (as a redelivery).
        """
        count, members = len(state.partitions), group.members
        owners: list[_Member | None] = [None] * count
        for i, member in enumerate(members):
            member.partitions = tuple(
                range(i * count // len(members), (i + 1) * count // len(members))
            )
            for p in member.partitions:
                owners[p] = member
        now = self._clock.monotonic()
        for p, cursor in enumerate(group.cursors):
            moved = [o for o, pend in cursor.pending.items() if pend.owner not in (None, owners[p])]
            for offset in moved:
                self._release(state, group, p, offset, now)

    def _collect(self, member: _Member, limit: int) -> list[Delivery]:
        """Take due messages round-robin over the member's partitions, up to ``limit``."""
        state = self._topics[member.topic]
        group = state.groups[member.group]
        now = self._clock.monotonic()
        self._expire(state, group, now)
        sources = [self._due(state, group, member, p, now) for p in member.partitions]
        found: list[Delivery] = []
        while sources and len(found) < limit:
            for source in list(sources):
                delivery = next(source, None)
                if delivery is None:
                    sources.remove(source)
                    continue
                found.append(delivery)
                if len(found) >= limit:
                    break
        return found

    def _expire(self, state: _Topic, group: _Group, now: float) -> None:
        for p, cursor in enumerate(group.cursors):
            late = [
                o
                for o, pend in cursor.pending.items()
                if pend.owner is not None and pend.due <= now
            ]
            for offset in late:
                self._release(state, group, p, offset, now)

    def _due(
        self, state: _Topic, group: _Group, member: _Member, p: int, now: float
    ) -> Iterator[Delivery]:
        """Lazily deliver one partition's due messages: redeliveries first, then new ones.

        Lazy, so nothing is marked in flight beyond what the caller takes.
        """
        cursor = group.cursors[p]
        waiting = (
            o for o, pend in cursor.pending.items() if pend.owner is None and pend.due <= now
        )
        for offset in sorted(waiting):
            yield self._deliver(state, group, member, p, offset, now)
        while cursor.next < state.partitions[p].end:
            offset = cursor.next
            cursor.next += 1
            cursor.pending[offset] = _Pending(attempts=0, owner=None, due=now)
            yield self._deliver(state, group, member, p, offset, now)

    def _deliver(
        self, state: _Topic, group: _Group, member: _Member, p: int, offset: int, now: float
    ) -> Delivery:
        pending = group.cursors[p].pending[offset]
        pending.attempts += 1
        pending.owner = member
        pending.due = now + group.ack_wait
        group.sequence += 1
        if pending.attempts > 1:
            group.redelivered += 1
        partition = state.partitions[p]
        envelope = partition.messages[offset - partition.base]
        delivery = Delivery(
            envelope, state.name, p, offset, pending.attempts, group.name, group.sequence
        )
        group.issued[group.sequence] = delivery
        pending.sequences.append(group.sequence)
        return delivery

    def _release(self, state: _Topic, group: _Group, p: int, offset: int, due: float) -> None:
        """Make a message due for redelivery at ``due``, or dead-letter it if exhausted."""
        pending = group.cursors[p].pending[offset]
        if group.max_deliver is not None and pending.attempts >= group.max_deliver:
            partition = state.partitions[p]
            envelope = partition.messages[offset - partition.base]
            # The DLQ skips de-duplication: two groups may dead-letter the same event.
            self._append(self._topic(state.name + DLQ_SUFFIX), envelope, dedupe=False)
            group.dead_lettered += 1
            self._settle(state, group, p, offset)
            return
        pending.owner = None
        pending.due = due

    def _settle(self, state: _Topic, group: _Group, p: int, offset: int) -> None:
        """Count the message as acked and move the committed offset over the acked prefix."""
        cursor = group.cursors[p]
        pending = cursor.pending.pop(offset)
        for sequence in pending.sequences:
            group.issued.pop(sequence, None)
        cursor.acked.add(offset)
        while cursor.committed in cursor.acked:
            cursor.acked.remove(cursor.committed)
            cursor.committed += 1
        self._trim(state, p)

    def _locate(
        self, member: _Member, delivery: Delivery
    ) -> tuple[_Topic, _Group, _Pending | None]:
        """The message a delivery stands for; None when it is already acked.

        Raises when the delivery belongs to another topic or group, or was never
        issued by this group (forged, or from another bus).
        """
        _ensure_member_open(member)
        if not isinstance(delivery, Delivery):
            raise ValidationError("expected a Delivery", field="delivery")
        if (delivery.topic, delivery.group) != (member.topic, member.group):
            raise ConflictError(
                f"delivery from {delivery.topic!r}/{delivery.group!r} cannot be settled by "
                f"a member of {member.topic!r}/{member.group!r}",
                field="delivery",
                code="foreign_delivery",
            )
        state = self._topics[member.topic]
        group = state.groups[member.group]
        if group.issued.get(delivery.sequence) == delivery:
            return state, group, group.cursors[delivery.partition].pending[delivery.offset]
        if _was_settled(group, delivery):
            return state, group, None
        raise NotFoundError(
            f"unknown delivery #{delivery.sequence} ({delivery.topic!r} partition "
            f"{delivery.partition} offset {delivery.offset}) in group {group.name!r}",
            field="delivery",
            code="unknown_delivery",
        )


# --- helpers -----------------------------------------------------------------------------


def _require(ok: bool, name: str, reason: str) -> None:
    if not ok:
        raise ValidationError(f"{name} {reason}", field=name)


def _check_subscribe_args(group: str, start: str, ack_wait: float, max_deliver: int | None) -> None:
    check_group(group)
    _require(start in ("earliest", "latest"), "start", "must be 'earliest' or 'latest'")
    _require(ack_wait > 0, "ack_wait", "must be positive")
    _require(max_deliver is None or max_deliver >= 1, "max_deliver", "must be at least 1 or None")


def _ensure_member_open(member: _Member) -> None:
    if member.closed:
        raise ConflictError(
            f"subscription {member.name} to {member.topic!r} is closed",
            code="subscription_closed",
        )


def _was_settled(group: _Group, delivery: Delivery) -> bool:
    """True for a real, earlier delivery of a message that is acked (or dead-lettered) now."""
    if not 0 < delivery.sequence <= group.sequence:
        return False
    if not 0 <= delivery.partition < len(group.cursors):
        return False
    cursor = group.cursors[delivery.partition]
    return delivery.offset < cursor.next and cursor.is_acked(delivery.offset)


def _topic_stats(state: _Topic) -> dict[str, Any]:
    ends = [p.end for p in state.partitions]
    return {
        "partitions": len(state.partitions),
        "published": state.published,
        "duplicates": state.duplicates,
        "retained": sum(len(p.messages) for p in state.partitions),
        "end_offsets": ends,
        "groups": {name: _group_stats(g, ends) for name, g in state.groups.items()},
    }


def _group_stats(group: _Group, ends: list[int]) -> dict[str, Any]:
    cursors = group.cursors
    return {
        "members": len(group.members),
        "lag": sum(c.unacked(end) for c, end in zip(cursors, ends, strict=True)),
        "in_flight": sum(
            1 for c in cursors for pend in c.pending.values() if pend.owner is not None
        ),
        "redelivered": group.redelivered,
        "dead_lettered": group.dead_lettered,
        "committed": [c.committed for c in cursors],
    }


__all__ = ["InProcessBus", "InProcessSubscription"]
