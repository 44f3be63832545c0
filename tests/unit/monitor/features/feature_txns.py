"""Hand-built transactions for the feature tests: a default debit, overridable field by field.

Imported by name (pytest puts this directory on the path; there is no package).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from finmon.monitor.transaction import Txn

T0 = 1_772_000_000_000_000  # a Wednesday, 06:13:20 UTC
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

MakeTxn = Callable[..., Txn]


def make_txn(at: int = 0, amount: int = 10_000, **fields: Any) -> Txn:
    """A USD debit of ``amount`` cents on account A1 at ``T0 + at`` µs."""
    base: dict[str, Any] = {
        "transaction_id": f"t{at}-{amount}-{len(fields)}",
        "occurred_us": T0 + at,
        "account_id": "A1",
        "customer_id": "C1",
        "direction": "debit",
        "amount_minor": amount,
        "currency": "USD",
        "channel": "card_present",
    }
    base.update(fields)
    return Txn(**base)
