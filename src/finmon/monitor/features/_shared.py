"""Arithmetic both computations share, so they agree to the bit where they can.

The online engine and the columnar backfill must produce the same numbers;
anything they both depend on (the event-order key, the filter order, the
haversine, the speed floor) is defined here once.
"""

from __future__ import annotations

import math

#: Order key of an event within its entity: ``t_us * KEY_SCALE + rank``, the rank
#: being the number of the entity's earlier events (stream order) at the same
#: microsecond, capped at ``KEY_SCALE - 1``. Windows are intervals of this key.
KEY_SCALE = 1024
MAX_RANK = KEY_SCALE - 1
US_PER_S = 1_000_000
#: Speed uses at least this elapsed time, so two swipes a second apart are not Mach 3.
MIN_SPEED_ELAPSED_US = 60 * US_PER_S
US_PER_HOUR = 3_600_000_000
EARTH_RADIUS_KM = 6371.0088
CARD_CHANNELS = frozenset({"card_present", "card_not_present"})
CASH_CHANNELS = frozenset({"cash_deposit", "cash_withdrawal"})
#: The event filters by position; position 0 is "every event".
FILTER_ORDER: tuple[str | None, ...] = (
    None,
    "debit",
    "credit",
    "cnp",
    "cash",
    "small",
    "round",
    "below_threshold",
)
FILTER_POS: dict[str | None, int] = {f: i for i, f in enumerate(FILTER_ORDER)}


def window_key(window_s: int) -> int:
    """A window's length in key units."""
    return window_s * US_PER_S * KEY_SCALE


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; the offline side evaluates the same expression column-wise."""
    p1 = lat1 * (math.pi / 180.0)
    p2 = lat2 * (math.pi / 180.0)
    dphi = (lat2 - lat1) * (math.pi / 180.0)
    dlmb = (lon2 - lon1) * (math.pi / 180.0)
    a = math.sin(dphi / 2.0) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(a, 1.0)))


def speed_kmh(distance_km: float, elapsed_us: int) -> float:
    return distance_km * float(US_PER_HOUR) / float(max(elapsed_us, MIN_SPEED_ELAPSED_US))


def zscore(amount: int, n: int, total: int, total_sq: int) -> float:
    """Population z-score of ``amount`` against ``n`` values, from exact integer sums.

    ``(n*x - S1) / sqrt(n*S2 - S1**2)`` needs one rounding each side, so the
    columnar side (Int128 sums) lands within an ulp or two.
    """
    if n < 2:
        return 0.0
    spread = n * total_sq - total * total
    if spread <= 0:
        return 0.0
    return float(n * amount - total) / math.sqrt(float(spread))


def ratio_or_one(amount: int, n: int, denominator: int) -> float:
    """``amount * n / denominator`` (amount / mean with ``n``; amount / max with n=1)."""
    if n <= 0 or denominator <= 0:
        return 1.0
    return float(amount * n) / float(denominator)
