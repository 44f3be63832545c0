"""The monitored transaction: a canonical row reduced to what detection reads, in fast types.

Amounts are integer minor units of the transaction's currency (features never
see a float amount they could not reproduce exactly); instants are integer
microseconds since the Unix epoch, UTC. :func:`from_row` accepts a *validated*
canonical row (see :mod:`finmon.sources.validate`), :func:`validated` checks raw
rows first and says which field of a bad one is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from finmon.core.currency import get_currency
from finmon.core.errors import Problem
from finmon.sources.validate import TransactionValidator

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Txn:
    """One transaction as the monitoring engine sees it."""

    transaction_id: str
    occurred_us: int
    account_id: str
    customer_id: str
    direction: str
    amount_minor: int
    currency: str
    channel: str | None = None
    merchant_id: str | None = None
    merchant_category: str | None = None
    merchant_country: str | None = None
    counterparty_account_id: str | None = None
    counterparty_name: str | None = None
    counterparty_bank: str | None = None
    counterparty_country: str | None = None
    device_id: str | None = None
    ip_address: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def is_debit(self) -> bool:
        return self.direction == "debit"

    def field(self, name: str) -> Any:
        """A canonical field by name (``amount`` as minor units, ``occurred_at`` as µs)."""
        if name == "amount":
            return self.amount_minor
        if name == "occurred_at":
            return self.occurred_us
        return getattr(self, name)


def to_micros(instant: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, no float)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(
        microsecond=micros % 1_000_000
    )


def minor_units(amount: str | Decimal, currency: str) -> int:
    """A validated decimal amount string in minor units of ``currency``."""
    exponent = get_currency(currency).exponent
    return int(Decimal(amount).scaleb(exponent))


def from_row(row: Mapping[str, Any]) -> Txn:
    """A :class:`Txn` from one clean canonical row (as produced by the validator)."""
    occurred = row["occurred_at"]
    occurred_us = occurred if isinstance(occurred, int) else to_micros(occurred)
    currency = row["currency"]
    amount = row["amount"]
    get = row.get
    return Txn(
        transaction_id=row["transaction_id"],
        occurred_us=occurred_us,
        account_id=row["account_id"],
        customer_id=get("customer_id") or row["account_id"],
        direction=row["direction"],
        amount_minor=amount if isinstance(amount, int) else minor_units(amount, currency),
        currency=currency,
        channel=get("channel"),
        merchant_id=get("merchant_id"),
        merchant_category=get("merchant_category"),
        merchant_country=get("merchant_country"),
        counterparty_account_id=get("counterparty_account_id"),
        counterparty_name=get("counterparty_name"),
        counterparty_bank=get("counterparty_bank"),
        counterparty_country=get("counterparty_country"),
        device_id=get("device_id"),
        ip_address=get("ip_address"),
        latitude=get("latitude"),
        longitude=get("longitude"),
    )


@dataclass(frozen=True, slots=True)
class Checked:
    """One input row after validation: a transaction, or the problems that stop it."""

    index: int
    txn: Txn | None
    transaction_id: str
    problems: tuple[Problem, ...] = ()


def validated(
    rows: Sequence[Mapping[str, Any]], validator: TransactionValidator | None = None
) -> list[Checked]:
    """Validate raw canonical rows; every row comes back, good or with its problems.

    A bad row keeps whatever ``transaction_id`` it had (``""`` when none), so the
    engine can still answer for it ("review: invalid input: amount") rather than
    drop it.
    """
    checker = validator or TransactionValidator(detect_duplicates=False)
    result = checker.validate_rows(rows)
    good = iter(result.rows)
    out: list[Checked] = []
    for index, raw in enumerate(rows):
        problems = result.bad.get(index)
        tid = str(raw.get("transaction_id") or "")
        if problems:
            out.append(Checked(index, None, tid, tuple(problems)))
        else:
            txn = from_row(next(good))
            out.append(Checked(index, txn, txn.transaction_id))
    return out


def iter_table(table: pa.Table) -> Iterator[Txn]:
    """Transactions of a clean canonical Arrow table, row by row, in table order."""
    for row in table.to_pylist():
        yield from_row({k: v for k, v in row.items() if v is not None})


__all__ = [
    "Checked",
    "Txn",
    "from_micros",
    "from_row",
    "iter_table",
    "minor_units",
    "to_micros",
    "validated",
]
