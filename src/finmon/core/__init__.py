"""The shared kernel: money, currencies, time, ids, seeded randomness, settings, errors.

Every other finmon package builds on these and on nothing else of each other's,
so this package does no I/O beyond reading its configuration, and everything
that would make a run irreproducible (the clock, randomness) is injected.
"""

from finmon.core.clock import Clock, SimulatedClock, SystemClock, ensure_utc
from finmon.core.currency import Currency, all_currencies, get_currency, register_currency
from finmon.core.errors import (
    ConflictError,
    FinmonError,
    ForbiddenError,
    IntegrityError,
    NotFoundError,
    Problem,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)
from finmon.core.ids import IdGenerator, new_id, uuid7_time
from finmon.core.money import Money, allocate, sum_money
from finmon.core.rng import derive_seed, seeded_rng
from finmon.core.settings import Settings, load_settings, redact_url

__all__ = [
    "Clock",
    "ConflictError",
    "Currency",
    "FinmonError",
    "ForbiddenError",
    "IdGenerator",
    "IntegrityError",
    "Money",
    "NotFoundError",
    "Problem",
    "Settings",
    "SimulatedClock",
    "SystemClock",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
    "all_currencies",
    "allocate",
    "derive_seed",
    "ensure_utc",
    "get_currency",
    "load_settings",
    "new_id",
    "redact_url",
    "register_currency",
    "seeded_rng",
    "sum_money",
    "uuid7_time",
]
