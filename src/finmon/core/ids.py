"""Time-ordered identifiers: UUIDv7 (RFC 9562).

Ids that sort by creation time keep B-tree indexes append-only and let a log be
scanned in id order. UUIDv7 gives that with a standard format: a 48-bit Unix
millisecond timestamp, then random bits.

Why hand-written: Python 3.11's :mod:`uuid` has no ``uuid7`` (it arrived in
3.14), and the third-party implementations read the system clock and
``os.urandom`` themselves. A simulation or replay must produce the same ids from
the same seed, so the clock (:class:`~finmon.core.clock.Clock`) and the random
source are injected here.

Monotonicity follows RFC 9562 section 6.2, method 1: the 12-bit ``rand_a``
field is a counter. A new millisecond starts it at a random value below 2048,
leaving at least 2048 increments before it overflows; an id in the same
millisecond (or after the clock stepped back) increments it; on overflow the
generator borrows the next millisecond. Ids from one generator are thus
strictly increasing even when the clock stalls or steps back, at the price of
running slightly ahead of it in a burst of more than ~2048 ids per millisecond.
"""

from __future__ import annotations

import random
import secrets
import threading
import uuid
from datetime import UTC, datetime, timedelta

from finmon.core.clock import Clock, SystemClock, ensure_utc
from finmon.core.errors import ValidationError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_MAX_MS = (1 << 48) - 1
_COUNTER_MAX = (1 << 12) - 1
_COUNTER_SEED_BITS = 11  # start below 2048 so a millisecond has room for 2048+ ids
_RAND_B_BITS = 62


def _unix_ms(instant: datetime) -> int:
    """Milliseconds since the epoch by exact timedelta arithmetic (no float rounding)."""
    ms = (ensure_utc(instant, "now") - _EPOCH) // _ONE_MS
    if not 0 <= ms <= _MAX_MS:
        raise ValidationError(
            f"{instant.isoformat()} is outside the UUIDv7 time range", field="now"
        )
    return ms


class IdGenerator:
    """Makes UUIDv7s from an injected clock and random source; thread-safe.

    Args:
        clock: where the timestamp comes from; a :class:`SimulatedClock` makes
            ids follow simulated time.
        rng: a seeded :class:`random.Random` for reproducible ids, or ``None``
            for :mod:`secrets` randomness (production: ids must not be guessable).
    """

    def __init__(self, clock: Clock, rng: random.Random | None = None) -> None:
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def _bits(self, k: int) -> int:
        return self._rng.getrandbits(k) if self._rng is not None else secrets.randbits(k)

    def new(self) -> uuid.UUID:
        """The next id; strictly greater than every earlier id from this generator."""
        now_ms = _unix_ms(self._clock.now())
        with self._lock:
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                self._counter = self._bits(_COUNTER_SEED_BITS)
            else:
                self._counter += 1
                if self._counter > _COUNTER_MAX:
                    self._last_ms += 1
                    self._counter = self._bits(_COUNTER_SEED_BITS)
            if self._last_ms > _MAX_MS:
                raise ValidationError("the UUIDv7 time range is exhausted", field="now")
            ms, counter = self._last_ms, self._counter
            rand_b = self._bits(_RAND_B_BITS)
        value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand_b
        return uuid.UUID(int=value)

    def new_str(self) -> str:
        """The next id in canonical 8-4-4-4-12 form, as stored and sent."""
        return str(self.new())


_default = IdGenerator(SystemClock())


def new_id() -> str:
    """A fresh id from the system clock and :mod:`secrets`, for code without a generator."""
    return _default.new_str()


def uuid7_time(u: uuid.UUID | str) -> datetime:
    """When a UUIDv7 was made (to the millisecond, UTC), read from the id itself.

    Raises:
        ValidationError: ``field="id"`` when ``u`` is not a UUIDv7.
    """
    if isinstance(u, str):
        try:
            u = uuid.UUID(u)
        except ValueError:
            raise ValidationError(f"{u!r} is not a UUID", field="id") from None
    if not isinstance(u, uuid.UUID) or u.version != 7 or u.variant != uuid.RFC_4122:
        raise ValidationError(f"{u} is not a UUIDv7", field="id")
    return _EPOCH + timedelta(milliseconds=u.int >> 80)


__all__ = ["IdGenerator", "new_id", "uuid7_time"]
