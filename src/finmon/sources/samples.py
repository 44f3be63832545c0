"""Small, deterministic canonical files for tests, benchmarks and documentation examples.

Not the simulator (``finmon.sim`` makes realistic traffic with labelled fraud):
these rows are plain and valid, so a test can break exactly one thing in them
and see exactly one problem reported.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from finmon.sources.canonical import CHANNELS
from finmon.sources.readers import file_format

_CURRENCIES = ("USD", "EUR", "GBP", "JPY")


def sample_transactions(
    count: int, *, seed: int = 0, start: int = 0, accounts: int = 500
) -> pa.Table:
    """``count`` valid canonical transactions as text columns (ids ``tx-<start+i>``)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    ids = range(start, start + count)
    currencies = [_CURRENCIES[i % len(_CURRENCIES)] for i in ids]
    return pa.table(
        {
            "transaction_id": [f"tx-{i:09d}" for i in ids],
            "occurred_at": [
                f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i * 7 % 60:02d}Z" for i in ids
            ],
            "account_id": [f"acct-{i % accounts}" for i in ids],
            "direction": ["debit" if i % 3 else "credit" for i in ids],
            "amount": [_amount(rng, c) for c in currencies],
            "currency": currencies,
            "channel": [CHANNELS[i % len(CHANNELS)] for i in ids],
            "merchant_id": [f"m-{i % 97}" for i in ids],
            "merchant_category": [f"{5000 + i % 900}" for i in ids],
            "merchant_country": ["GB" if i % 2 else "US" for i in ids],
            "ip_address": [f"10.{i % 256}.{i // 256 % 256}.{i % 200}" for i in ids],
            "latitude": [f"{rng.uniform(-80, 80):.5f}" for _ in ids],
            "longitude": [f"{rng.uniform(-170, 170):.5f}" for _ in ids],
            "description": [f"payment {i}" for i in ids],
        }
    )


def _amount(rng: random.Random, currency: str) -> str:
    whole = rng.randint(1, 99_999)
    return str(whole) if currency == "JPY" else f"{whole}.{rng.randint(0, 99):02d}"


def sample_accounts(count: int = 500) -> pa.Table:
    """Accounts ``acct-<i>`` owned by customers ``cust-<i // 2>`` (two accounts each)."""
    return pa.table(
        {
            "account_id": [f"acct-{i}" for i in range(count)],
            "customer_id": [f"cust-{i // 2}" for i in range(count)],
            "product": ["current"] * count,
            "currency": ["USD"] * count,
            "opened_at": ["2020-01-01T00:00:00Z"] * count,
            "status": ["open"] * count,
        }
    )


def write_rows(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows (dicts) by the path's extension; JSON Lines keep each value's JSON type."""
    if file_format(path) == "jsonl":
        path.write_bytes(b"".join(orjson.dumps(dict(r)) + b"\n" for r in rows))
        return path
    return write_table(path, pa.Table.from_pylist([dict(r) for r in rows]))


def write_table(path: Path, table: pa.Table) -> Path:
    """Write an Arrow table as CSV, JSON Lines or Parquet, by the path's extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = file_format(path)
    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "csv":
        pcsv.write_csv(table, path)
    else:
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in table.to_pylist()))
    return path


__all__ = ["sample_accounts", "sample_transactions", "write_rows", "write_table"]
