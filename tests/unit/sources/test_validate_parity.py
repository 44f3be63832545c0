"""The columnar fast path and the per-value rules reach the same verdict on every value.

The fast path only pre-filters; this holds it to never passing a value the rules
would refuse, and to producing the same clean value when it passes one.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from finmon.core.currency import get_currency
from finmon.sources import rules
from finmon.sources.validate import NAMES, validate_rows

_EDGE = {
    "transaction_id": ["tx-1", "", " ", "\t", "é"],
    "occurred_at": [
        "2026-01-05T10:15:00Z",
        "2026-01-05T10:15:00+05:30",
        "2026-01-05T10:15:00-23:59",
        "2026-01-05 10:15:00.123456Z",
        "2026-01-05T10:15:00",
        "2026-02-29T10:00:00Z",
        "2024-02-29T10:00:00Z",
        "2026-01-05T24:00:00Z",
        "2026-01-05",
        "2026-01-05T10:15Z",
        "",
    ],
    "account_id": ["a", "", "  "],
    "direction": ["debit", "credit", "Debit", "", "out"],
    "amount": [
        "1",
        "0",
        "0.00",
        "12.5",
        "12.50",
        "12.500",
        "12.505",
        "01.00",
        "-1",
        "1.",
        ".5",
        "1e2",
        "100",
        "0.001",
        "",
        "９",
    ],
    "currency": ["USD", "JPY", "BHD", "usd", "XAU", "ZZZ", "", "EURO"],
    "channel": ["atm", "ATM", "", "wire", "x"],
    "merchant_category": ["5411", "541", "54111", "abcd", "", "٥٤١١"],
    "merchant_country": ["GB", "gb", "G", "GBR", ""],
    "ip_address": ["10.0.0.1", "256.0.0.1", "010.0.0.1", "::1", "1.2.3", "", "192.0.2.0"],
    "latitude": ["0", "90", "90.0001", "-90", "+45.5", "1e1", "nan", "", "45."],
    "longitude": ["180", "-180.5", "12", "x", ""],
}


def _reference(row: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    clean: dict[str, Any] = {}
    bad: set[str] = set()
    for name in NAMES:
        if name == "amount":
            continue
        value, reason = rules.TRANSACTION_CHECKS[name](row.get(name))
        if reason:
            bad.add(name)
        elif value is not None:
            clean[name] = value
    cur = row.get("currency")
    known = cur if cur in rules.account_currencies() else None
    value, reason = rules.amount(row.get("amount"), get_currency(known) if known else None)
    if reason:
        bad.add("amount")
    elif value is not None:
        clean["amount"] = value
    return clean, bad


rows = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in _EDGE.items()})


@settings(max_examples=300, deadline=None)
@given(st.lists(rows, min_size=1, max_size=8))
def test_fast_path_agrees_with_the_rules(batch: list[dict[str, Any]]) -> None:
    batch = [
        {**row, "transaction_id": f"{row['transaction_id']}{i}"} for i, row in enumerate(batch)
    ]
    result = validate_rows(batch)
    clean_rows = iter(result.rows)
    for index, row in enumerate(batch):
        clean, bad = _reference(row)
        got = {p.field for p in result.bad.get(index, [])}
        assert got == bad, (row, result.bad.get(index))
        if not bad:
            produced = dict(next(clean_rows))
            produced.pop("customer_id")
            clean.pop("customer_id", None)
            assert produced == clean
