"""Injected clocks: simulated time only moves forward and is always UTC."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from finmon.core.clock import Clock, SimulatedClock, SystemClock, ensure_utc
from finmon.core.errors import ValidationError

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(SimulatedClock(), Clock)


def test_system_clock_is_utc_and_monotonic() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is UTC
    first = clock.monotonic()
    assert clock.monotonic() >= first


def test_simulated_clock_defaults_to_a_fixed_start() -> None:
    assert SimulatedClock().now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert SimulatedClock().monotonic() == 0.0


def test_simulated_clock_advances_by_timedelta_and_seconds() -> None:
    clock = SimulatedClock(START)
    assert clock.advance(timedelta(minutes=1)) == START + timedelta(minutes=1)
    assert clock.advance(1.5) == START + timedelta(seconds=61.5)
    assert clock.now() == START + timedelta(seconds=61.5)
    assert clock.monotonic() == pytest.approx(61.5)


def test_simulated_clock_converts_other_zones_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    clock = SimulatedClock(datetime(2026, 3, 1, 14, 0, tzinfo=plus_two))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


def test_simulated_clock_refuses_to_go_backwards() -> None:
    clock = SimulatedClock(START)
    with pytest.raises(ValidationError, match="backwards") as advanced:
        clock.advance(-1)
    assert advanced.value.field == "by"
    with pytest.raises(ValidationError, match="backwards") as jumped:
        clock.set(START - timedelta(microseconds=1))
    assert jumped.value.field == "instant"
    assert clock.now() == START


def test_simulated_clock_set_jumps_forward_and_allows_standing_still() -> None:
    clock = SimulatedClock(START)
    assert clock.set(START) == START
    later = START + timedelta(days=2)
    assert clock.set(later) == later


def test_naive_datetimes_are_refused_everywhere() -> None:
    naive = datetime(2026, 3, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError) as at_start:
        SimulatedClock(naive)
    assert at_start.value.field == "start"
    with pytest.raises(ValidationError) as at_set:
        SimulatedClock(START).set(naive)
    assert at_set.value.field == "instant"
    with pytest.raises(ValidationError, match="naive") as direct:
        ensure_utc(naive, "booked_at")
    assert direct.value.field == "booked_at"


def test_simulated_clock_is_safe_to_advance_from_threads() -> None:
    clock = SimulatedClock(START)

    def tick() -> None:
        for _ in range(1000):
            clock.advance(timedelta(milliseconds=1))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == START + timedelta(seconds=4)
