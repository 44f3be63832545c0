"""Properties of the in-process Bus under random publish/fetch/ack/nack/join/close runs.

Whatever the interleaving, (1) a committed offset never passes the end of its
partition nor a message that was not acked, (2) members of a group never share
a partition, and (3) once the run stops, a fresh member drains every published
message: nothing is lost, whatever was in flight when members came and went.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finmon.core.clock import SimulatedClock
from finmon.core.errors import ConflictError
from finmon.events.bus import Delivery
from finmon.events.envelope import Envelope
from finmon.events.inprocess_bus import InProcessBus, InProcessSubscription

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOPIC, GROUP, PARTITIONS = "payments", "g", 4

Op = tuple[str, int, int]
ops = st.one_of(
    st.tuples(st.just("publish"), st.integers(0, 5), st.integers(1, 4)),
    st.tuples(st.just("republish"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("join"), st.just(0), st.just(0)),
    st.tuples(st.just("close"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("fetch"), st.integers(0, 1000), st.integers(1, 8)),
    st.tuples(st.just("ack"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("ack"), st.just(-1), st.just(0)),  # the newest first: out of order
    st.tuples(st.just("nack"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("advance"), st.integers(0, 3), st.just(0)),
)


def envelope(n: int, key: int) -> Envelope:
    return Envelope(
        id=f"evt-{n}",
        type="transaction.received",
        schema_version=1,
        partition_key=f"acct-{key}",
        occurred_at=T0,
        recorded_at=T0,
    )


class Run:
    """The bus under test plus what the test has seen, to check it against."""

    def __init__(self, max_deliver: int | None) -> None:
        self.clock = SimulatedClock(T0)
        self.bus = InProcessBus(partitions=PARTITIONS, clock=self.clock)
        self.max_deliver = max_deliver
        self.members: list[InProcessSubscription] = []
        self.published: list[Envelope] = []
        self.position: dict[str, tuple[int, int]] = {}
        self.dead = self.bus.subscribe(TOPIC + ".dlq", "watch")
        self.delivered: set[str] = set()
        self.outstanding: list[tuple[InProcessSubscription, Delivery]] = []
        self.acked: set[tuple[int, int]] = set()
        self.join()

    def join(self) -> None:
        sub = self.bus.subscribe(TOPIC, GROUP, ack_wait=2, max_deliver=self.max_deliver)
        self.members.append(sub)

    def apply(self, op: Op) -> None:
        name, a, b = op
        if name == "publish":
            for _ in range(b):
                self.publish(envelope(len(self.published), a))
        elif name == "republish" and self.published:
            self.bus.publish(TOPIC, self.published[a % len(self.published)])
        elif name == "join":
            self.join()
        elif name == "close" and self.members:
            self.members[a % len(self.members)].close()
        elif name == "fetch" and self.members:
            self.fetch(self.members[a % len(self.members)], b)
        elif name in ("ack", "nack") and self.outstanding:
            self.settle(name, self.outstanding.pop(a % len(self.outstanding)))
        elif name == "advance":
            self.clock.advance(a)

    def publish(self, env: Envelope) -> None:
        published = self.bus.publish(TOPIC, env)
        assert not published.duplicate
        self.published.append(env)
        self.position[env.id] = (published.partition, published.offset)

    def fetch(self, sub: InProcessSubscription, n: int) -> None:
        if sub.closed:
            with pytest.raises(ConflictError):
                sub.fetch(n)
            return
        batch = sub.fetch(n)
        assert len(batch) <= n
        assert {d.partition for d in batch} <= set(sub.assigned_partitions)
        self.delivered.update(d.envelope.id for d in batch)
        self.outstanding.extend((sub, d) for d in batch)

    def settle(self, how: str, item: tuple[InProcessSubscription, Delivery]) -> None:
        sub, delivery = item
        if sub.closed:
            with pytest.raises(ConflictError):
                sub.ack(delivery)
        elif how == "ack":
            sub.ack(delivery)
            self.acked.add((delivery.partition, delivery.offset))
        else:
            sub.nack(delivery)

    def check(self) -> None:
        while batch := self.dead.fetch(100):  # dead-lettered counts as acked for the group
            for d in batch:
                self.dead.ack(d)
                self.acked.add(self.position[d.envelope.id])
        ends = self.bus.end_offsets(TOPIC)
        committed = self.bus.committed_offsets(TOPIC, GROUP)
        for p in range(PARTITIONS):
            assert committed[p] <= ends[p]
            assert all((p, o) in self.acked for o in range(committed[p]))
        live = [m for m in self.members if not m.closed]
        owned = [p for m in live for p in m.assigned_partitions]
        assert len(owned) == len(set(owned))
        assert sorted(owned) == (list(range(PARTITIONS)) if live else [])


@settings(max_examples=300, deadline=None)
@given(st.lists(ops, min_size=5, max_size=100), st.sampled_from([None, 2]))
def test_every_message_is_delivered_and_commits_never_skip_unacked(
    script: list[Op], max_deliver: int | None
) -> None:
    run = Run(max_deliver)
    for n in range(8):  # a backlog to start from; the topic exists, so offsets can be read
        run.publish(envelope(10_000 + n, n % 4))
    for op in script:
        run.apply(op)
        run.check()
    for member in run.members:
        member.close()
    fresh = run.bus.subscribe(TOPIC, GROUP, ack_wait=2, max_deliver=max_deliver)
    while batch := fresh.fetch(10):
        for d in batch:
            fresh.ack(d)
            run.acked.add((d.partition, d.offset))
            run.delivered.add(d.envelope.id)
        run.check()
    assert {e.id for e in run.published} <= run.delivered
    assert run.bus.committed_offsets(TOPIC, GROUP) == run.bus.end_offsets(TOPIC)
    assert fresh.lag == 0
