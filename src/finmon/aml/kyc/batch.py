"""Rate every customer of a canonical dataset directory.

Reads ``customers.*`` (required), ``accounts.*`` (products, and the owner of
each account) and ``transactions.*`` (observed activity over the last
``activity_window_days`` before ``as_of``). What a canonical customers file
does not carry is treated as unknown, never guessed:

* expected monthly volume = declared ``annual_income`` / 12 in
  ``income_currency`` (the declared income or turnover is the only stated
  expectation in the file); activity in other currencies is counted but not
  compared;
* channels = the canonical transaction channels the customer used in the
  window (there is no onboarding channel in the file);
* nationality is not in the file (only residence), and no SAR history.

``as_of`` defaults to the last transaction's time: a rating of historical
data is "as of the data", not of the wall clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finmon.aml.kyc.rating import (
    DEFAULT_CONFIG,
    TIERS,
    CustomerProfile,
    CustomerRating,
    ObservedActivity,
    ReviewDue,
    ReviewRecord,
    RiskConfig,
    due_for_review,
    rate_customer,
)
from finmon.aml.kyc.screening import NameScreener
from finmon.core.clock import ensure_utc
from finmon.core.errors import FinmonError, NotFoundError
from finmon.monitor.dataset import find_table, load_dataset
from finmon.monitor.transaction import minor_units
from finmon.sources.canonical import TABLES
from finmon.sources.readers import read_batches


def read_table(directory: Path, name: str) -> pa.Table | None:
    """A canonical file's columns (values that do not convert read as null), or None."""
    path = find_table(directory, name)
    if path is None:
        return None
    batches = [b.coerced for b in read_batches(path, TABLES[name])]
    if not batches:
        return pa.table({})
    names = list(batches[0].columns)
    return pa.table({n: pa.concat_arrays([b.columns[n] for b in batches]) for n in names})


def _rows(table: pa.Table | None) -> list[dict[str, Any]]:
    return [] if table is None else table.to_pylist()


def _annual_to_monthly_minor(income: object, currency: str) -> int | None:
    if income in (None, ""):
        return None
    try:
        return minor_units(Decimal(str(income)), currency) // 12
    except (InvalidOperation, FinmonError, ValueError):
        return None


_TRUE = frozenset({"true", "1", "yes", "y", "t"})


def _truthy(value: object) -> bool:
    """A flag as files carry it: a boolean, or text such as ``true``/``1`` (``false`` is false)."""
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() in _TRUE


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def profiles_from_rows(
    customers: Iterable[Mapping[str, Any]], products: Mapping[str, tuple[str, ...]]
) -> list[CustomerProfile]:
    """Rating inputs from canonical customer rows plus each customer's account products."""
    out: list[CustomerProfile] = []
    for row in customers:
        cid = row.get("customer_id")
        if not cid:
            continue
        currency = row.get("income_currency") or "USD"
        out.append(
            CustomerProfile(
                customer_id=cid,
                kind=row.get("kind") or "individual",
                name=row.get("name") or "",
                date_of_birth=_date(row.get("date_of_birth")),
                country=row.get("country") or None,
                pep=_truthy(row.get("pep")),
                occupation=row.get("occupation") or None,
                products=products.get(cid, ()),
                expected_monthly_volume_minor=_annual_to_monthly_minor(
                    row.get("annual_income"), currency
                ),
                currency=currency,
                last_reviewed=_date(row.get("onboarded_at")),
            )
        )
    return out


@dataclass(slots=True)
class _Acc:
    money: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    count: int = 0
    channels: Counter[str] = field(default_factory=Counter)


def observe_activity(
    transactions: pa.Table,
    *,
    as_of: datetime,
    window_days: int,
    owner_of: Mapping[str, str],
    currency_of: Mapping[str, str],
) -> dict[str, ObservedActivity]:
    """Each customer's money in/out (own currency, minor units), count and channels in the window.

    The window is the last ``window_days`` before ``as_of``, cut to the span the
    data actually covers, so a two-week extract is not read as a quiet quarter.
    Transfers between two accounts of the same customer are left out: moving
    salary to savings is not turnover.
    """
    start = ensure_utc(as_of) - timedelta(days=window_days)
    ts = transactions.column("occurred_at")
    mask = pc.and_(
        pc.greater(ts, pa.scalar(start, ts.type)), pc.less_equal(ts, pa.scalar(as_of, ts.type))
    )
    window = transactions.filter(mask)
    if window.num_rows == 0:
        return {}
    first = pc.min(window.column("occurred_at")).as_py()
    days = max(1, min(window_days, (as_of - first).days + 1))
    acc: dict[str, _Acc] = defaultdict(_Acc)
    cols = {
        n: window.column(n).to_pylist()
        for n in (
            "customer_id",
            "account_id",
            "direction",
            "amount",
            "currency",
            "channel",
            "counterparty_account_id",
        )
    }
    for cust, account, direction, amount, currency, channel, other in zip(
        *cols.values(), strict=True
    ):
        who = cust or owner_of.get(account) or account
        if other and owner_of.get(other) == who:
            continue  # between the customer's own accounts: not activity with the world
        a = acc[who]
        a.count += 1
        if channel:
            a.channels[channel] += 1
        a.money[currency][0 if direction == "credit" else 1] += minor_units(amount, currency)
    result: dict[str, ObservedActivity] = {}
    for who, a in acc.items():
        inflow, outflow = a.money.get(currency_of.get(who, "USD"), [0, 0])
        result[who] = ObservedActivity(
            inflow_minor=inflow,
            outflow_minor=outflow,
            count=a.count,
            days=days,
            channels=tuple(sorted(a.channels)),
        )
    return result


@dataclass(frozen=True, slots=True)
class DatasetRating:
    """Every customer's rating, the file's own ``risk_rating`` for comparison, and ``as_of``."""

    as_of: datetime
    ratings: tuple[CustomerRating, ...]
    file_rating: Mapping[str, str]
    last_reviewed: Mapping[str, date]

    def tier_counts(self) -> dict[str, int]:
        counts = Counter(r.tier for r in self.ratings)
        return {t: counts.get(t, 0) for t in TIERS}

    def agreement_matrix(self) -> dict[str, dict[str, int]]:
        """Rows: the file's risk_rating; columns: our tier; cells: customers."""
        rows = sorted(
            {v or "(none)" for v in self.file_rating.values()} | {"low", "medium", "high"}
        )
        matrix: dict[str, dict[str, int]] = {row: {t: 0 for t in TIERS} for row in rows}
        for r in self.ratings:
            matrix[self.file_rating.get(r.customer_id) or "(none)"][r.tier] += 1
        return matrix

    def agreement(self) -> float:
        """Share of customers whose tier equals the file's risk_rating (sanity, not a target)."""
        same = sum(1 for r in self.ratings if self.file_rating.get(r.customer_id) == r.tier)
        return same / len(self.ratings) if self.ratings else 0.0

    def review_due(
        self, as_of: date | None = None, config: RiskConfig = DEFAULT_CONFIG
    ) -> list[ReviewDue]:
        """Customers whose periodic review is due, counting from their last review in the file."""
        when = as_of or self.as_of.date()
        records = [
            ReviewRecord(r.customer_id, r.tier, self.last_reviewed[r.customer_id])
            for r in self.ratings
            if r.customer_id in self.last_reviewed
        ]
        return due_for_review(records, when, config)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "customers": len(self.ratings),
            "tiers": self.tier_counts(),
            "edd": sum(1 for r in self.ratings if r.triggers),
            "agreement_with_file": round(self.agreement(), 4),
            "agreement_matrix": self.agreement_matrix(),
        }


def _products(accounts: pa.Table | None) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    products: dict[str, set[str]] = defaultdict(set)
    owner: dict[str, str] = {}
    for row in _rows(accounts):
        cid, aid = row.get("customer_id"), row.get("account_id")
        if cid and aid:
            owner[aid] = cid
            if row.get("product"):
                products[cid].add(row["product"])
    return {c: tuple(sorted(p)) for c, p in products.items()}, owner


def rate_dataset(
    directory: Path,
    *,
    as_of: datetime | None = None,
    config: RiskConfig = DEFAULT_CONFIG,
    screener: NameScreener | None = None,
) -> DatasetRating:
    """Rate every customer in ``directory`` (see the module docstring for what is read).

    Raises:
        NotFoundError: the directory has no customers file or no transactions file.
    """
    customers = read_table(directory, "customers")
    if customers is None:
        raise NotFoundError(f"{directory} holds no customers file", field="data")
    products, owner = _products(read_table(directory, "accounts"))
    transactions = load_dataset(directory).transactions
    rows = _rows(customers)
    profiles = profiles_from_rows(rows, products)
    if as_of is None:
        latest = (
            pc.max(transactions.column("occurred_at")).as_py() if transactions.num_rows else None
        )
        if not isinstance(latest, datetime):
            raise NotFoundError(f"{directory} holds no transactions to rate as of", field="as_of")
        as_of = latest
    as_of = ensure_utc(as_of, "as_of")
    observed = observe_activity(
        transactions,
        as_of=as_of,
        window_days=config.activity_window_days,
        owner_of=owner,
        currency_of={p.customer_id: p.currency for p in profiles},
    )
    ratings = tuple(
        rate_customer(
            p, observed.get(p.customer_id), as_of=as_of.date(), config=config, screener=screener
        )
        for p in profiles
    )
    return DatasetRating(
        as_of=as_of,
        ratings=ratings,
        file_rating={
            r["customer_id"]: r.get("risk_rating") or "" for r in rows if r.get("customer_id")
        },
        last_reviewed={p.customer_id: p.last_reviewed for p in profiles if p.last_reviewed},
    )


__all__ = [
    "DatasetRating",
    "observe_activity",
    "profiles_from_rows",
    "rate_dataset",
    "read_table",
]
