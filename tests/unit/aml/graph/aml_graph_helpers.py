"""Hand-built transactions for the graph tests: canonical rows, minutes after a fixed start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def row(
    tid: str,
    minutes: float,
    account: str,
    direction: str,
    amount: str,
    *,
    counterparty: str | None = None,
    merchant: str | None = None,
    customer: str | None = None,
    device: str | None = None,
    ip: str | None = None,
    currency: str = "USD",
) -> dict[str, Any]:
    """One canonical transaction row (amount as the decimal string files carry)."""
    return {
        "transaction_id": tid,
        "occurred_at": at(minutes),
        "customer_id": customer,
        "account_id": account,
        "direction": direction,
        "amount": amount,
        "currency": currency,
        "merchant_id": merchant,
        "counterparty_account_id": counterparty,
        "device_id": device,
        "ip_address": ip,
    }


def transfer(tid: str, minutes: float, src: str, dst: str, amount: str) -> list[dict[str, Any]]:
    """An internal transfer: the debit leg on ``src`` and the credit leg on ``dst``."""
    return [
        row(f"{tid}d", minutes, src, "debit", amount, counterparty=dst),
        row(f"{tid}c", minutes, dst, "credit", amount, counterparty=src),
    ]


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "transaction_id": pl.String,
        "occurred_at": pl.Datetime("us", "UTC"),
        "customer_id": pl.String,
        "account_id": pl.String,
        "direction": pl.String,
        "amount": pl.String,
        "currency": pl.String,
        "merchant_id": pl.String,
        "counterparty_account_id": pl.String,
        "device_id": pl.String,
        "ip_address": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def cycles_among_noise() -> list[dict[str, Any]]:
    """A 3-cycle A1->A2->A3->A1, a 4-cycle B1->B2->X(external)->B3->B1, and noise around them.

    The noise includes a loop that closes *backwards in time* (N1->N2 on day 2,
    N2->N3 on day 1, N3->N1 on day 3): structurally a cycle, but no money went round.
    """
    rows: list[dict[str, Any]] = []
    rows += transfer("a1", 0, "A1", "A2", "1000.00")
    rows += transfer("a2", 60, "A2", "A3", "950.00")
    rows += transfer("a3", 120, "A3", "A1", "900.00")
    rows += transfer("b1", 10, "B1", "B2", "500.00")
    rows.append(row("b2", 70, "B2", "debit", "480.00", counterparty="XEXT1"))
    rows.append(row("b3", 200, "B3", "credit", "470.00", counterparty="XEXT1"))
    rows += transfer("b4", 300, "B3", "B1", "450.00")
    rows += transfer("n1", 2 * 1440, "N1", "N2", "75.00")
    rows += transfer("n2", 1440, "N2", "N3", "75.00")
    rows += transfer("n2b", 3 * 1440, "N3", "N1", "75.00")
    rows += transfer("n3", 30, "A1", "N1", "20.00")
    rows.append(row("n4", 40, "A2", "debit", "12.50", merchant="M1", device="D1", ip="1.2.3.4"))
    rows.append(row("n5", 50, "N2", "debit", "12.50", merchant="M1", device="D2"))
    rows.append(row("n6", 55, "B2", "credit", "1500.00", counterparty="EMPLOYER"))
    return rows
