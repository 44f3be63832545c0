"""The in-process event Bus: partitioning, groups, acks, redelivery, dead letters."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import (
    ConflictError,
    FinmonError,
    NotFoundError,
    UnavailableError,
    ValidationError,
)
from finmon.events.bus import Bus, Delivery, Subscription, partition_for
from finmon.events.envelope import Envelope
from finmon.events.inprocess_bus import InProcessBus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def env(n: int, key: str = "acct-1", *, id_: str | None = None) -> Envelope:
    return Envelope(
        id=id_ or f"evt-{n:06d}",
        type="transaction.received",
        schema_version=1,
        partition_key=key,
        occurred_at=T0,
        recorded_at=T0,
        payload={"n": n},
    )


def drain(sub: Subscription, *, ack: bool = True) -> list[Delivery]:
    """Fetch until nothing is due, acking everything when asked."""
    seen: list[Delivery] = []
    while batch := sub.fetch(50):
        seen.extend(batch)
        if ack:
            for d in batch:
                sub.ack(d)
    return seen


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def bus(clock: SimulatedClock) -> InProcessBus:
    return InProcessBus(partitions=4, clock=clock)


def test_in_process_bus_satisfies_the_protocols(bus: InProcessBus) -> None:
    assert isinstance(bus, Bus)
    assert isinstance(bus.subscribe("payments", "g"), Subscription)


def test_one_key_is_delivered_in_publish_order(bus: InProcessBus) -> None:
    for n in range(100):
        bus.publish("payments", env(n, key=f"acct-{n % 3}"))
    got = drain(bus.subscribe("payments", "g"))
    assert len(got) == 100
    for key in ("acct-0", "acct-1", "acct-2"):
        ns = [d.envelope.payload["n"] for d in got if d.envelope.partition_key == key]
        assert ns == sorted(ns)
        assert len({d.partition for d in got if d.envelope.partition_key == key}) == 1


def test_offsets_are_consecutive_per_partition(bus: InProcessBus) -> None:
    published = bus.publish_many("payments", [env(n, key="k") for n in range(5)])
    assert [p.offset for p in published] == [0, 1, 2, 3, 4]
    assert {p.partition for p in published} == {partition_for("k", 4)}
    assert not any(p.duplicate for p in published)


def test_partition_is_stable_across_bus_instances() -> None:
    keys = [f"acct-{i}" for i in range(50)]
    first = [InProcessBus(partitions=8).publish("t", env(i, key=k)) for i, k in enumerate(keys)]
    second = [InProcessBus(partitions=8).publish("t", env(i, key=k)) for i, k in enumerate(keys)]
    assert [p.partition for p in first] == [p.partition for p in second]
    assert [p.partition for p in first] == [partition_for(k, 8) for k in keys]
    assert len({p.partition for p in first}) > 1  # keys actually spread


def test_two_members_split_partitions_and_see_everything_once(bus: InProcessBus) -> None:
    a = bus.subscribe("payments", "g")
    b = bus.subscribe("payments", "g")
    assert set(a.assigned_partitions).isdisjoint(b.assigned_partitions)
    assert sorted(a.assigned_partitions + b.assigned_partitions) == [0, 1, 2, 3]
    for n in range(200):
        bus.publish("payments", env(n, key=f"acct-{n}"))
    got_a, got_b = drain(a), drain(b)
    assert got_a
    assert got_b
    ids = [d.envelope.id for d in got_a + got_b]
    assert len(ids) == 200 == len(set(ids))
    assert {d.partition for d in got_a} <= set(a.assigned_partitions)
    assert a.lag == b.lag == 0
    assert bus.committed_offsets("payments", "g") == bus.end_offsets("payments")


def test_every_group_sees_every_message(bus: InProcessBus) -> None:
    fraud, aml = bus.subscribe("payments", "fraud"), bus.subscribe("payments", "aml")
    bus.publish_many("payments", [env(n, key=f"k{n}") for n in range(30)])
    assert len(drain(fraud)) == 30
    assert len(drain(aml)) == 30


def test_latest_start_skips_the_backlog(bus: InProcessBus) -> None:
    bus.publish_many("payments", [env(n) for n in range(10)])
    sub = bus.subscribe("payments", "late", start="latest")
    assert sub.fetch() == []
    bus.publish("payments", env(10))
    assert [d.envelope.payload["n"] for d in drain(sub)] == [10]


def test_nack_redelivers_with_attempt_two(bus: InProcessBus) -> None:
    sub = bus.subscribe("payments", "g")
    bus.publish("payments", env(1))
    (first,) = sub.fetch()
    assert (first.attempt, first.redelivered) == (1, False)
    sub.nack(first)
    (again,) = sub.fetch()
    assert again.envelope == first.envelope
    assert (again.offset, again.attempt, again.redelivered) == (first.offset, 2, True)
    sub.ack(again)
    assert sub.fetch() == []
    assert bus.stats()["topics"]["payments"]["groups"]["g"]["redelivered"] == 1


def test_nack_with_delay_waits_on_the_clock(bus: InProcessBus, clock: SimulatedClock) -> None:
    sub = bus.subscribe("payments", "g")
    bus.publish("payments", env(1))
    sub.nack(sub.fetch()[0], delay=5)
    assert sub.fetch() == []
    clock.advance(5)
    assert [d.attempt for d in sub.fetch()] == [2]


def test_unacked_delivery_is_redelivered_after_ack_wait(clock: SimulatedClock) -> None:
    bus = InProcessBus(partitions=2, clock=clock)
    sub = bus.subscribe("payments", "g", ack_wait=10)
    bus.publish("payments", env(1))
    (first,) = sub.fetch()
    clock.advance(9.9)
    assert sub.fetch() == []  # still in flight
    clock.advance(0.1)
    (again,) = sub.fetch()
    assert (again.offset, again.attempt) == (first.offset, 2)
    sub.ack(first)  # a late ack of the first delivery still settles the message
    sub.ack(again)  # and acking it twice is harmless
    clock.advance(60)
    assert sub.fetch() == []
    assert sub.lag == 0


def test_max_deliver_sends_the_message_to_the_dead_letter_topic(
    bus: InProcessBus, clock: SimulatedClock
) -> None:
    sub = bus.subscribe("payments", "g", ack_wait=1, max_deliver=3)
    watcher = bus.subscribe("payments.dlq", "ops")
    bus.publish("payments", env(1))
    bus.publish("payments", env(2, key="acct-1"))
    attempts = []
    for _ in range(3):
        batch = sub.fetch()
        poison = next(d for d in batch if d.envelope.payload["n"] == 1)
        attempts.append(poison.attempt)
        for d in batch:
            if d is not poison:
                sub.ack(d)
        sub.nack(poison)
    assert attempts == [1, 2, 3]
    assert sub.fetch() == []
    assert [d.envelope.id for d in drain(watcher)] == ["evt-000001"]
    group = bus.stats()["topics"]["payments"]["groups"]["g"]
    assert group["dead_lettered"] == 1
    assert group["lag"] == 0
    assert bus.committed_offsets("payments", "g") == bus.end_offsets("payments")


def test_ack_wait_expiry_also_counts_towards_max_deliver(
    bus: InProcessBus, clock: SimulatedClock
) -> None:
    sub = bus.subscribe("payments", "g", ack_wait=1, max_deliver=2)
    bus.publish("payments", env(1))
    assert [d.attempt for d in sub.fetch()] == [1]
    clock.advance(1)
    assert [d.attempt for d in sub.fetch()] == [2]
    clock.advance(1)
    assert sub.fetch() == []
    assert sum(bus.end_offsets("payments.dlq")) == 1


def test_closing_a_member_rebalances_and_redelivers_its_unacked(bus: InProcessBus) -> None:
    a = bus.subscribe("payments", "g")
    b = bus.subscribe("payments", "g")
    bus.publish_many("payments", [env(n, key=f"acct-{n}") for n in range(100)])
    held = a.fetch(1000)
    assert held
    a.close()
    assert a.closed
    assert a.assigned_partitions == ()
    assert b.assigned_partitions == (0, 1, 2, 3)
    got = drain(b)
    assert {d.envelope.id for d in got} == {f"evt-{n:06d}" for n in range(100)}
    redelivered = {d.envelope.id for d in got if d.redelivered}
    assert redelivered == {d.envelope.id for d in held}
    assert bus.committed_offsets("payments", "g") == bus.end_offsets("payments")
    with pytest.raises(ConflictError) as caught:
        a.fetch()
    assert caught.value.code == "subscription_closed"


def test_a_joining_member_gets_the_in_flight_messages_of_moved_partitions(
    bus: InProcessBus,
) -> None:
    a = bus.subscribe("payments", "g")
    bus.publish_many("payments", [env(n, key=f"acct-{n}") for n in range(40)])
    held = a.fetch(1000)
    assert len(held) == 40
    b = bus.subscribe("payments", "g")
    moved = [d for d in held if d.partition in b.assigned_partitions]
    got_b = drain(b)
    assert sorted(d.offset for d in got_b if d.redelivered) == sorted(d.offset for d in moved)
    assert all(d.attempt == 2 for d in got_b)
    for d in held:
        a.ack(d)  # late acks from the old owner are accepted, never an error
    assert a.fetch() == []
    assert bus.committed_offsets("payments", "g") == bus.end_offsets("payments")


def test_the_group_survives_with_no_members(bus: InProcessBus) -> None:
    sub = bus.subscribe("payments", "g")
    bus.publish_many("payments", [env(n) for n in range(4)])
    first = sub.fetch(2)
    for d in first:
        sub.ack(d)
    sub.close()
    bus.publish("payments", env(4))
    again = drain(bus.subscribe("payments", "g"))
    assert [d.envelope.payload["n"] for d in again] == [2, 3, 4]


def test_out_of_order_acks_commit_only_the_contiguous_prefix(bus: InProcessBus) -> None:
    sub = bus.subscribe("payments", "g")
    bus.publish_many("payments", [env(n, key="k") for n in range(4)])
    d0, d1, d2, d3 = sub.fetch()
    p = d0.partition
    sub.ack(d2)
    sub.ack(d1)
    assert bus.committed_offsets("payments", "g")[p] == 0
    assert sub.lag == 2
    sub.ack(d0)
    assert bus.committed_offsets("payments", "g")[p] == 3
    sub.ack(d3)
    assert bus.committed_offsets("payments", "g")[p] == 4


def test_the_same_id_published_twice_is_stored_once(bus: InProcessBus) -> None:
    first = bus.publish("payments", env(1))
    second = bus.publish("payments", env(1))
    assert second.duplicate
    assert (second.partition, second.offset) == (first.partition, first.offset)
    assert len(drain(bus.subscribe("payments", "g"))) == 1
    stats = bus.stats()["topics"]["payments"]
    assert (stats["published"], stats["duplicates"]) == (1, 1)


def test_dedupe_forgets_ids_beyond_its_window(clock: SimulatedClock) -> None:
    bus = InProcessBus(partitions=1, clock=clock, dedupe_window=2)
    bus.publish_many("t", [env(1), env(2), env(3)])
    assert not bus.publish("t", env(1)).duplicate  # fell out of the window
    assert bus.publish("t", env(3)).duplicate


@pytest.mark.parametrize("topic", ["", "Payments", "a..b", ".a", "a.", "a b", "a/b", "a*"])
def test_a_bad_topic_name_is_refused_naming_the_field(bus: InProcessBus, topic: str) -> None:
    with pytest.raises(ValidationError) as caught:
        bus.publish(topic, env(1))
    assert caught.value.field == "topic"
    with pytest.raises(ValidationError) as caught:
        bus.subscribe(topic, "g")
    assert caught.value.field == "topic"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group": "has.dot"}, "group"),
        ({"start": "middle"}, "start"),
        ({"ack_wait": 0}, "ack_wait"),
        ({"max_deliver": 0}, "max_deliver"),
    ],
)
def test_bad_subscribe_arguments_name_the_field(
    bus: InProcessBus, kwargs: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"group": "g", **kwargs}
    with pytest.raises(ValidationError) as caught:
        bus.subscribe("payments", **args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_member_cannot_change_the_group_settings(bus: InProcessBus) -> None:
    bus.subscribe("payments", "g", ack_wait=5)
    with pytest.raises(ConflictError) as caught:
        bus.subscribe("payments", "g", ack_wait=6)
    assert caught.value.field == "group"


def test_acking_a_delivery_of_another_group_is_refused(bus: InProcessBus) -> None:
    fraud, aml = bus.subscribe("payments", "fraud"), bus.subscribe("payments", "aml")
    bus.publish("payments", env(1))
    (d,) = fraud.fetch()
    with pytest.raises(ConflictError) as caught:
        aml.ack(d)
    assert (caught.value.code, caught.value.field) == ("foreign_delivery", "delivery")
    assert "fraud" in caught.value.message


def test_acking_an_unknown_delivery_is_refused(bus: InProcessBus) -> None:
    sub = bus.subscribe("payments", "g")
    bus.publish("payments", env(1))
    (real,) = sub.fetch()
    forged = Delivery(real.envelope, "payments", real.partition, 99, 1, "g", 42)
    other_bus = InProcessBus(partitions=4)
    elsewhere = other_bus.subscribe("payments", "g")
    other_bus.publish("payments", env(7))
    (foreign,) = elsewhere.fetch()
    for bad in (forged, foreign):
        with pytest.raises(NotFoundError) as caught:
            sub.ack(bad)
        assert isinstance(caught.value, FinmonError)
        assert (caught.value.code, caught.value.field) == ("unknown_delivery", "delivery")
        with pytest.raises(NotFoundError):
            sub.nack(bad)
    sub.ack(real)


def test_a_stale_nack_does_not_take_the_message_from_its_new_owner(
    bus: InProcessBus, clock: SimulatedClock
) -> None:
    sub = bus.subscribe("payments", "g", ack_wait=1)
    bus.publish("payments", env(1))
    (old,) = sub.fetch()
    clock.advance(1)
    (new,) = sub.fetch()
    sub.nack(old)  # stale: the message is in flight again under a newer delivery
    assert sub.fetch() == []
    sub.ack(new)


def test_fetch_waits_for_a_publish_from_another_thread(bus: InProcessBus) -> None:
    sub = bus.subscribe("payments", "g")
    timer = threading.Timer(0.05, lambda: bus.publish("payments", env(1)))
    timer.start()
    got = sub.fetch(timeout=5)
    timer.join()
    assert [d.envelope.payload["n"] for d in got] == [1]


def test_fetch_with_a_timeout_returns_empty_when_nothing_comes(bus: InProcessBus) -> None:
    assert bus.subscribe("payments", "g").fetch(timeout=0.02) == []


def test_closing_the_bus_wakes_a_blocked_fetch_and_refuses_publishing(
    bus: InProcessBus,
) -> None:
    sub = bus.subscribe("payments", "g")
    results: list[list[Delivery]] = []
    waiter = threading.Thread(target=lambda: results.append(sub.fetch(timeout=10)))
    waiter.start()
    bus.close()
    waiter.join(timeout=5)
    assert results == [[]]
    with pytest.raises(UnavailableError):
        bus.publish("payments", env(1))


def test_retention_trims_only_what_every_group_acked(clock: SimulatedClock) -> None:
    bus = InProcessBus(partitions=1, clock=clock, retention=3)
    sub = bus.subscribe("t", "g")
    bus.publish_many("t", [env(n) for n in range(10)])
    assert bus.stats()["topics"]["t"]["retained"] == 10  # nothing acked yet
    for d in sub.fetch(6):
        sub.ack(d)
    assert bus.stats()["topics"]["t"]["retained"] == 4  # unacked 6..9 are kept
    drain(sub)
    assert bus.stats()["topics"]["t"]["retained"] == 3
    late = bus.subscribe("t", "late")  # starts at the oldest message still kept
    assert [d.offset for d in drain(late)] == [7, 8, 9]


def test_stats_reports_lag_per_group(bus: InProcessBus) -> None:
    sub = bus.subscribe("payments", "g")
    bus.publish_many("payments", [env(n, key=f"k{n}") for n in range(10)])
    batch = sub.fetch(3)
    stats = bus.stats()["topics"]["payments"]
    assert stats["published"] == 10
    assert stats["groups"]["g"] | {"committed": None} == {
        "members": 1,
        "lag": 10,
        "in_flight": 3,
        "redelivered": 0,
        "dead_lettered": 0,
        "committed": None,
    }
    for d in batch:
        sub.ack(d)
    assert bus.stats()["topics"]["payments"]["groups"]["g"]["lag"] == 7


def test_threaded_producer_and_two_consumers_move_ten_thousand_messages() -> None:
    bus = InProcessBus(partitions=8)
    total = 10_000
    consumers = [bus.subscribe("payments", "g", ack_wait=60) for _ in range(2)]
    acked: Counter[str] = Counter()
    lock = threading.Lock()
    done = threading.Event()
    errors: list[BaseException] = []

    def produce() -> None:
        for start in range(0, total, 100):
            bus.publish_many(
                "payments", [env(n, key=f"acct-{n % 97}") for n in range(start, start + 100)]
            )
        done.set()

    def consume(sub: Subscription) -> None:
        try:
            while True:
                batch = sub.fetch(100, timeout=0.05)
                for d in batch:
                    sub.ack(d)
                with lock:
                    acked.update(d.envelope.id for d in batch)
                if not batch and done.is_set() and sub.lag == 0:
                    return
        except BaseException as exc:  # surfaced to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=produce)]
    threads += [threading.Thread(target=consume, args=(sub,)) for sub in consumers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert set(acked) == {f"evt-{n:06d}" for n in range(total)}
    assert bus.committed_offsets("payments", "g") == bus.end_offsets("payments")
    assert sum(bus.end_offsets("payments")) == total
