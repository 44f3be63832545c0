"""What the detectors know besides the transactions: KYC profile, account ages, risk tables.

All optional: with no reference files the detectors still run, reading every
account as an individual's with unknown age (the conservative reading: a
business's many payers are then not excused, and dormancy cannot be inferred).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from finmon.monitor.reference import COUNTRY_RISK, REPORTING_THRESHOLD_MINOR, ReferenceData
from finmon.monitor.transaction import minor_units, to_micros
from finmon.sources.canonical import TABLES
from finmon.sources.readers import read_batches

#: The reporting threshold when a currency has none in the table: USD 10,000 in cents.
DEFAULT_THRESHOLD_MINOR = 1_000_000


@dataclass(frozen=True, slots=True)
class AmlContext:
    """Reference lookups by id (all may be empty).

    Attributes:
        customer_kind: ``individual`` or ``business`` per customer (the KYC profile:
            a business is expected to have many payers and payees).
        account_customer: owner of each account held here (links accounts of one customer).
        account_opened_us: when each account was opened (event-time µs).
        country_risk: jurisdiction risk 0..1 (FATF lists by default).
        reporting_threshold_minor: the cash-reporting threshold per currency.
        dormant_accounts: accounts the bank flags dormant (``accounts.status``).
        customer_country: each customer's home country (``customers.country``).
        monthly_income_minor: declared annual income (turnover for a business) / 12, in
            minor units of its currency (the KYC "expected activity").
    """

    customer_kind: Mapping[str, str] = field(default_factory=dict)
    account_customer: Mapping[str, str] = field(default_factory=dict)
    account_opened_us: Mapping[str, int] = field(default_factory=dict)
    country_risk: Mapping[str, float] = field(default_factory=lambda: COUNTRY_RISK)
    reporting_threshold_minor: Mapping[str, int] = field(
        default_factory=lambda: REPORTING_THRESHOLD_MINOR
    )
    monthly_income_minor: Mapping[str, int] = field(default_factory=dict)
    dormant_accounts: frozenset[str] = frozenset()
    customer_country: Mapping[str, str] = field(default_factory=dict)

    def is_business(self, customer_id: str) -> bool:
        return self.customer_kind.get(customer_id) == "business"

    def threshold(self, currency: str) -> int:
        return self.reporting_threshold_minor.get(currency, DEFAULT_THRESHOLD_MINOR)

    @classmethod
    def load(cls, directory: Path, reference: ReferenceData | None = None) -> AmlContext:
        """Read ``customers.*`` and ``accounts.*`` from a canonical dataset directory."""
        customers = _table(directory, "customers")
        accounts = _table(directory, "accounts")
        kind, income = _profiles(customers) if customers is not None else ({}, {})
        owner: dict[str, str] = {}
        opened: dict[str, int] = {}
        dormant: set[str] = set()
        if accounts is not None:
            cols = accounts.column_names
            ids = accounts.column("account_id").to_pylist()
            owners = accounts.column("customer_id").to_pylist() if "customer_id" in cols else []
            dates = accounts.column("opened_at").to_pylist() if "opened_at" in cols else []
            status = accounts.column("status").to_pylist() if "status" in cols else []
            for i, aid in enumerate(ids):
                if not aid:
                    continue
                if owners and owners[i]:
                    owner[str(aid)] = str(owners[i])
                if status and str(status[i] or "").lower() == "dormant":
                    dormant.add(str(aid))
                if dates and isinstance(dates[i], datetime):
                    opened[str(aid)] = to_micros(dates[i])
        base = reference or ReferenceData()
        return cls(
            customer_kind=kind,
            account_customer=owner,
            account_opened_us=opened,
            country_risk=base.country_risk,
            reporting_threshold_minor=base.reporting_threshold_minor,
            monthly_income_minor=income,
            dormant_accounts=frozenset(dormant),
            customer_country=dict(base.customer_country),
        )


def _profiles(customers: pa.Table) -> tuple[dict[str, str], dict[str, int]]:
    """Customer kind and declared monthly income (minor units) from ``customers.*``."""
    cols = customers.column_names
    ids = customers.column("customer_id").to_pylist()
    none = [None] * len(ids)
    kinds = customers.column("kind").to_pylist() if "kind" in cols else none
    incomes = customers.column("annual_income").to_pylist() if "annual_income" in cols else none
    currencies = (
        customers.column("income_currency").to_pylist() if "income_currency" in cols else none
    )
    kind: dict[str, str] = {}
    income: dict[str, int] = {}
    for cid, k, amount, currency in zip(ids, kinds, incomes, currencies, strict=True):
        if not cid:
            continue
        if k:
            kind[str(cid)] = str(k)
        if amount is not None:
            try:
                income[str(cid)] = minor_units(str(amount), str(currency or "USD")) // 12
            except (ArithmeticError, ValueError, LookupError):
                continue
    return kind, income


def _table(directory: Path, name: str) -> pa.Table | None:
    for suffix in (".parquet", ".csv", ".jsonl"):
        path = directory / f"{name}{suffix}"
        if path.is_file():
            batches = [b.coerced for b in read_batches(path, TABLES[name])]
            if not batches:
                return None
            names = list(batches[0].columns)
            columns: dict[str, Any] = {
                n: pa.concat_arrays([b.columns[n] for b in batches]) for n in names
            }
            return pa.table(columns)
    return None


__all__ = ["DEFAULT_THRESHOLD_MINOR", "AmlContext"]
