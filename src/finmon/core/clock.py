"""Injected time.

Nothing in finmon calls ``datetime.now()`` directly: it asks a :class:`Clock`.
Production passes :class:`SystemClock`; simulations, replays and tests pass a
:class:`SimulatedClock` they advance themselves, so the same events and seed give
the same decisions bit for bit. Every instant is timezone-aware UTC.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from finmon.core.errors import ValidationError


@runtime_checkable
class Clock(Protocol):
    """A source of the current instant (UTC) and of monotonic elapsed time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never go backwards (for timeouts)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class SimulatedClock:
    """A clock that moves only when told to; thread-safe.

    ``monotonic()`` is the simulated seconds elapsed since the start instant, so
    timeouts measured with it follow simulated time too.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._start = ensure_utc(start, "start")
        self._now = self._start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return (self._now - self._start).total_seconds()

    def advance(self, by: timedelta | float) -> datetime:
        """Move forward by a timedelta or a number of seconds; never backwards."""
        step = by if isinstance(by, timedelta) else timedelta(seconds=by)
        if step < timedelta(0):
            raise ValidationError("a clock cannot move backwards", field="by")
        with self._lock:
            self._now += step
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Jump to ``instant``, which must not be earlier than now."""
        instant = ensure_utc(instant, "instant")
        with self._lock:
            if instant < self._now:
                raise ValidationError("a clock cannot move backwards", field="instant")
            self._now = instant
            return self._now


def ensure_utc(instant: datetime, field: str = "instant") -> datetime:
    """Return ``instant`` in UTC; refuse a naive datetime, whose zone is a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValidationError("a naive datetime has no time zone; give UTC", field=field)
    return instant.astimezone(UTC)


__all__ = ["Clock", "SimulatedClock", "SystemClock", "ensure_utc"]
