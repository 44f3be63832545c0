"""UUIDv7 ids: time-ordered, strictly monotonic, reproducible from a clock and a seed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import ValidationError
from finmon.core.ids import IdGenerator, new_id, uuid7_time
from finmon.core.rng import seeded_rng

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


class SteppingClock:
    """A clock that returns the instants it is given, even backwards ones."""

    def __init__(self, *instants: datetime) -> None:
        self._instants = list(instants)

    def now(self) -> datetime:
        return self._instants.pop(0) if len(self._instants) > 1 else self._instants[0]

    def monotonic(self) -> float:
        return 0.0


def test_ids_are_rfc_9562_version_7() -> None:
    u = IdGenerator(SimulatedClock(START), seeded_rng(1, "ids")).new()
    assert u.version == 7
    assert u.variant == uuid.RFC_4122


def test_the_timestamp_is_the_clock_in_milliseconds() -> None:
    u = IdGenerator(SimulatedClock(START)).new()
    assert uuid7_time(u) == START.replace(microsecond=123000)
    assert uuid7_time(str(u)) == uuid7_time(u)


def test_same_seed_and_clock_give_the_same_ids() -> None:
    def run(seed: int) -> list[str]:
        clock = SimulatedClock(START)
        gen = IdGenerator(clock, seeded_rng(seed, "ids"))
        ids = []
        for _ in range(50):
            ids.append(gen.new_str())
            clock.advance(timedelta(microseconds=300))
        return ids

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_ids_within_one_millisecond_increase_strictly() -> None:
    gen = IdGenerator(SimulatedClock(START), seeded_rng(3, "ids"))
    ids = [gen.new() for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {uuid7_time(u) for u in ids} == {START.replace(microsecond=123000)}


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    gen = IdGenerator(SimulatedClock(START), seeded_rng(5, "ids"))
    ids = [gen.new() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    times = sorted({uuid7_time(u) for u in ids})
    assert len(times) >= 2
    assert times[1] - times[0] == timedelta(milliseconds=1)


def test_ids_stay_monotonic_when_the_clock_steps_back() -> None:
    later = START + timedelta(seconds=5)
    gen = IdGenerator(SteppingClock(later, START, START), seeded_rng(9, "ids"))
    first, second, third = gen.new(), gen.new(), gen.new()
    assert first < second < third
    assert uuid7_time(second) == uuid7_time(first)


def test_ids_sort_by_time_across_milliseconds() -> None:
    clock = SimulatedClock(START)
    gen = IdGenerator(clock, seeded_rng(11, "ids"))
    ids = []
    for _ in range(100):
        ids.append(gen.new())
        clock.advance(timedelta(milliseconds=1))
    assert ids == sorted(ids)
    assert uuid7_time(ids[-1]) - uuid7_time(ids[0]) == timedelta(milliseconds=99)


def test_generator_is_thread_safe() -> None:
    gen = IdGenerator(SimulatedClock(START))
    results: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def work(bucket: list[uuid.UUID]) -> None:
        bucket.extend(gen.new() for _ in range(2000))

    threads = [threading.Thread(target=work, args=(b,)) for b in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [u for bucket in results for u in bucket]
    assert len(set(everything)) == 8000
    for bucket in results:
        assert bucket == sorted(bucket)


def test_clock_before_the_epoch_is_refused() -> None:
    gen = IdGenerator(SimulatedClock(datetime(1969, 12, 31, tzinfo=UTC)))
    with pytest.raises(ValidationError, match="range") as caught:
        gen.new()
    assert caught.value.field == "now"


def test_naive_clock_is_refused() -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError, match="naive"):
        IdGenerator(SteppingClock(naive)).new()


def test_new_id_uses_the_system_clock() -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    first, second = new_id(), new_id()
    assert first < second
    assert uuid.UUID(first).version == 7
    assert before <= uuid7_time(first) <= datetime.now(UTC)


@pytest.mark.parametrize(
    "bad", ["not-a-uuid", str(uuid.uuid4()), uuid.uuid4(), uuid.UUID(int=0), 42]
)
def test_uuid7_time_refuses_other_ids(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        uuid7_time(bad)  # type: ignore[arg-type]
    assert caught.value.field == "id"
