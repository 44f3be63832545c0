"""Streaming a scenario into the Bus, as fast as possible, at a set rate, or in real time.

Each transaction becomes ``transaction_envelope(row)`` on ``TRANSACTIONS_TOPIC``
(partitioned by account), published in small batches. Rows leave the
generator in event-time order, so every account's events are published in
order, unless faults are injected on purpose. The envelope's ``recorded_at``
comes from the clock: by default a :class:`SimulatedClock` that follows event
time, so a replay records the same instants; pass a system clock for live runs.

Pacing: ``rate`` publishes that many transactions per wall-clock second;
``speed`` replays event time at that multiple of real time (1.0 = real time);
neither means as fast as possible. ``duration`` stops after that many
wall-clock seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from finmon.core.clock import Clock, SimulatedClock
from finmon.core.errors import FinmonError
from finmon.events.bus import Bus
from finmon.events.envelope import Envelope
from finmon.sim.faults import FaultLabel, inject_faults
from finmon.sim.generator import Simulation
from finmon.sim.scenarios import FaultSpec, Scenario
from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelope


@dataclass(slots=True)
class StreamStats:
    """What a streaming run did."""

    published: int = 0
    duplicates_stored: int = 0
    rejected_at_source: int = 0
    seconds: float = 0.0
    faults: list[FaultLabel] = field(default_factory=list)
    stopped: str = "exhausted"

    @property
    def rate(self) -> float:
        return self.published / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for label in self.faults:
            kinds[label.kind] = kinds.get(label.kind, 0) + 1
        return {
            "published": self.published,
            "duplicates_stored": self.duplicates_stored,
            "rejected_at_source": self.rejected_at_source,
            "seconds": round(self.seconds, 3),
            "published_per_second": round(self.rate),
            "faults": kinds,
            "stopped": self.stopped,
        }


@dataclass(frozen=True, slots=True)
class Pacing:
    """How fast to publish: ``rate`` per second, ``speed`` x real time, or neither (max)."""

    rate: float | None = None
    speed: float | None = None
    duration: float | None = None


def scenario_rows(scenario: Scenario) -> Iterator[list[dict[str, Any]]]:
    """The scenario's canonical transactions, one list of row dicts per simulated day."""
    for batch in Simulation(scenario).batches():
        yield batch.transactions.to_pylist()


def _envelopes(rows: list[dict[str, Any]], clock: Clock, stats: StreamStats) -> list[Envelope]:
    out = []
    for row in rows:
        if isinstance(clock, SimulatedClock) and isinstance(row.get("occurred_at"), datetime):
            instant = row["occurred_at"]
            if instant.tzinfo is not None and instant > clock.now():
                clock.set(instant)
        try:
            out.append(transaction_envelope(row, clock=clock))
        except (FinmonError, KeyError, ValueError, TypeError):
            stats.rejected_at_source += 1  # too broken to be an event at all
    return out


class _Pacer:
    def __init__(self, pacing: Pacing, sleep: Callable[[float], None], now: Callable[[], float]):
        self.pacing, self.sleep, self.now = pacing, sleep, now
        self.started = now()
        self.first_event: datetime | None = None

    def expired(self) -> bool:
        limit = self.pacing.duration
        return limit is not None and self.now() - self.started >= limit

    def wait(self, published: int, last: Envelope | None) -> None:
        due = self.started
        if self.pacing.rate:
            due += published / self.pacing.rate
        elif self.pacing.speed and last is not None:
            self.first_event = self.first_event or last.occurred_at
            due += (last.occurred_at - self.first_event).total_seconds() / self.pacing.speed
        delay = due - self.now()
        if delay > 0:
            self.sleep(delay)


def stream_scenario(
    scenario: Scenario,
    bus: Bus,
    *,
    pacing: Pacing | None = None,
    faults: FaultSpec | None = None,
    clock: Clock | None = None,
    batch_size: int = 256,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    topic: str = TRANSACTIONS_TOPIC,
) -> StreamStats:
    """Publish the scenario's transactions to ``bus``; returns what was published."""
    clock = clock or SimulatedClock(scenario.start_utc())
    pacer = _Pacer(pacing or Pacing(), sleep, monotonic)
    stats = StreamStats()
    faults = faults or scenario.faults
    for day, rows in enumerate(scenario_rows(scenario)):
        if any((faults.duplicates, faults.out_of_order, faults.late, faults.malformed)):
            rows, labels = inject_faults(rows, faults, scenario.seed, f"stream-{day}")
            stats.faults.extend(labels)
        for start in range(0, len(rows), batch_size):
            envelopes = _envelopes(rows[start : start + batch_size], clock, stats)
            results = bus.publish_many(topic, envelopes)
            stats.published += len(envelopes)
            stats.duplicates_stored += sum(1 for r in results if r.duplicate)
            pacer.wait(stats.published, envelopes[-1] if envelopes else None)
            if pacer.expired():
                stats.stopped = "duration"
                stats.seconds = monotonic() - pacer.started
                return stats
    stats.seconds = monotonic() - pacer.started
    return stats


__all__ = ["Pacing", "StreamStats", "scenario_rows", "stream_scenario"]
