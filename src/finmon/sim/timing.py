"""When things happen: hour-of-day and day-of-week profiles, and the simulated calendar.

Real card traffic has a lunch and an evening peak and a quiet night; branch
cash is a weekday, office-hours affair; payroll and direct debits arrive in
overnight batches. Each activity draws its times from one of these profiles,
so seasonality is shared by honest and dishonest traffic of the same kind.
Times are in the bank's clock (UTC), microseconds since the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from finmon.sim.block import Array

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def _norm(values: list[float]) -> Array:
    arr = np.array(values, dtype=np.float64)
    return np.asarray(arr / arr.sum())


HOUR_PROFILES: dict[str, Array] = {
    "card": _norm([3, 2, 1.5, 1, 1, 1.5, 4, 8, 11, 12, 13, 16, 22, 20, 15, 14, 16, 20, 22, 19, 15,
                   12, 8, 5]),
    "online": _norm([6, 4, 3, 2, 2, 2, 3, 5, 7, 8, 9, 10, 12, 11, 10, 10, 11, 12, 14, 17, 19, 18,
                     14, 9]),
    "atm": _norm([2, 1.5, 1, 0.5, 0.5, 1, 3, 7, 10, 11, 12, 14, 16, 14, 12, 12, 14, 17, 18, 15,
                  11, 8, 5, 3]),
    "branch": _norm([0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 14, 15, 16, 15, 14, 13, 12, 4, 0, 0, 0, 0, 0,
                     0]),
    "batch": _norm([2, 10, 20, 25, 20, 10, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
    "business": _norm([0.5, 0.2, 0.2, 0.2, 0.2, 0.5, 2, 6, 12, 15, 16, 15, 12, 14, 15, 14, 11, 7,
                       3, 2, 1.5, 1, 1, 0.5]),
    "personal": _norm([2, 1, 0.5, 0.5, 0.5, 1, 3, 6, 9, 10, 10, 11, 13, 12, 11, 11, 12, 14, 16, 17,
                       16, 13, 9, 5]),
}  # fmt: skip
DOW_PROFILES: dict[str, Array] = {  # Monday first; mean 1
    "card": np.array([0.88, 0.9, 0.94, 0.98, 1.14, 1.24, 0.92]),
    "online": np.array([1.05, 1.0, 0.98, 0.97, 0.95, 0.98, 1.07]),
    "atm": np.array([0.9, 0.9, 0.95, 1.0, 1.3, 1.15, 0.8]),
    "branch": np.array([1.25, 1.2, 1.2, 1.2, 1.35, 0.8, 0.0]),
    "batch": np.array([1.4, 1.4, 1.4, 1.4, 1.4, 0.0, 0.0]),
    "business": np.array([1.3, 1.3, 1.3, 1.3, 1.25, 0.4, 0.12]),
    "personal": np.array([0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.0]),
}


@dataclass(frozen=True, slots=True)
class Calendar:
    """The simulated days: their start instants, weekday (0 = Monday) and day of month."""

    start_us: int
    days: int
    day_start: Array
    dow: Array
    dom: Array
    month: Array

    @classmethod
    def from_start(cls, start: datetime, days: int) -> Calendar:
        epoch = datetime.fromtimestamp(0, tz=start.tzinfo)
        start_us = (start - epoch) // timedelta(microseconds=1)
        dates = [start + timedelta(days=d) for d in range(days)]
        return cls(
            start_us=start_us,
            days=days,
            day_start=start_us + np.arange(days, dtype=np.int64) * DAY_US,
            dow=np.array([d.weekday() for d in dates], dtype=np.int8),
            dom=np.array([d.day for d in dates], dtype=np.int8),
            month=np.array([d.year * 12 + d.month for d in dates], dtype=np.int32),
        )

    @property
    def end_us(self) -> int:
        return self.start_us + self.days * DAY_US

    def factor(self, day: int, profile: str) -> float:
        """How busy ``day`` is for ``profile`` relative to an average day."""
        return float(DOW_PROFILES[profile][int(self.dow[day])])

    def times(self, rng: np.random.Generator, n: int, day: int, profile: str) -> Array:
        """``n`` instants on ``day`` following the hour-of-day ``profile``."""
        hours = np.asarray(rng.choice(24, size=n, p=HOUR_PROFILES[profile]))
        within = (rng.random(n) * HOUR_US).astype(np.int64)
        return np.asarray(self.day_start[day] + hours.astype(np.int64) * HOUR_US + within)

    def spread(self, rng: np.random.Generator, start: Array, span: Array, profile: str) -> Array:
        """Instants between ``start`` and ``start + span`` (same shapes), following ``profile``.

        The day is drawn uniformly over the span and the hour from the profile, so
        multi-day patterns keep the rhythm of the channel they use; a span under a
        day keeps its exact offset instead.
        """
        offset = (rng.random(start.shape[0]) * span).astype(np.int64)
        moment = start + offset
        long = span >= DAY_US
        day0 = (moment - self.start_us) // DAY_US * DAY_US + self.start_us
        hours = np.asarray(rng.choice(24, size=start.shape[0], p=HOUR_PROFILES[profile]))
        within = np.asarray(rng.random(start.shape[0])) * HOUR_US
        shaped = day0 + hours * HOUR_US + within.astype(np.int64)
        return np.where(long, shaped, moment)


__all__ = ["DAY_US", "DOW_PROFILES", "HOUR_PROFILES", "HOUR_US", "Calendar"]
