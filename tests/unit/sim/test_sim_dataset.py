"""The generated files: canonical, label-free, consistent, exact, conserving, deterministic."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from finmon.core.money import Money
from finmon.sim import TYPOLOGIES, Scenario, generate_dataset
from finmon.sources.canonical import arrow_schema

SmallScenario = Callable[..., Scenario]


@pytest.fixture(scope="module")
def tables(small_dataset: Path) -> dict[str, pa.Table]:
    return {p.stem: pq.read_table(p) for p in small_dataset.glob("*.parquet")}


def test_every_contract_file_is_written(tables: dict[str, pa.Table]) -> None:
    expected = {"transactions", "labels", "customers", "accounts", "merchants", "ground_truth"}
    assert expected <= set(tables)


def test_tables_have_exactly_the_canonical_schemas(tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        assert table.schema.remove_metadata() == arrow_schema(name), name


def test_transactions_leak_no_label(tables: dict[str, pa.Table]) -> None:
    txs = tables["transactions"]
    assert txs.column_names == [f.name for f in arrow_schema("transactions")]
    text_columns = ["transaction_id", "account_id", "customer_id", "description", "device_id"]
    for column in text_columns:
        values = {v for v in txs.column(column).to_pylist() if v}
        for typology in TYPOLOGIES:
            assert not any(typology in v.lower() for v in values), (column, typology)
    ids = txs.column("transaction_id").to_pylist()
    assert len(set(ids)) == len(ids)


def test_labels_align_and_every_typology_appears(tables: dict[str, pa.Table]) -> None:
    labels, txs = tables["labels"], tables["transactions"]
    assert labels.column("transaction_id").equals(txs.column("transaction_id"))
    present = {t for t in labels.column("typology").to_pylist() if t}
    assert present == set(TYPOLOGIES)
    assert set(tables["ground_truth"].column("typology").to_pylist()) == set(TYPOLOGIES)


def test_ground_truth_matches_labels_and_times(tables: dict[str, pa.Table]) -> None:
    txs = tables["transactions"].to_pylist()
    labels = tables["labels"].to_pylist()
    by_instance: dict[str, list[dict[str, object]]] = {}
    for tx, label in zip(txs, labels, strict=True):
        assert label["is_fraud"] == (label["typology"] is not None)
        if label["instance_id"]:
            by_instance.setdefault(str(label["instance_id"]), []).append(tx)
    truth = tables["ground_truth"].to_pylist()
    assert {t["instance_id"] for t in truth} == set(by_instance)
    for row in truth:
        rows = by_instance[row["instance_id"]]
        assert json.loads(row["transaction_ids"]) == [r["transaction_id"] for r in rows]
        assert json.loads(row["account_ids"]) == sorted({str(r["account_id"]) for r in rows})
        assert row["start"] == min(r["occurred_at"] for r in rows)  # type: ignore[type-var]
        assert row["end"] == max(r["occurred_at"] for r in rows)  # type: ignore[type-var]


def test_amounts_are_exact_and_valid_for_the_currency(tables: dict[str, pa.Table]) -> None:
    txs = tables["transactions"]
    for amount, currency in zip(
        txs.column("amount").to_pylist(), txs.column("currency").to_pylist(), strict=True
    ):
        money = Money.of(amount, currency)
        assert money.minor > 0
        assert amount == f"{Decimal(amount):.2f}"


def test_transactions_are_in_time_order(tables: dict[str, pa.Table]) -> None:
    times = tables["transactions"].column("occurred_at").to_pylist()
    assert times == sorted(times)


def test_internal_transfers_conserve_money(tables: dict[str, pa.Table]) -> None:
    accounts = set(tables["accounts"].column("account_id").to_pylist())
    legs: Counter[tuple[object, ...]] = Counter()
    internal = 0
    for tx in tables["transactions"].to_pylist():
        other = tx["counterparty_account_id"]
        if other not in accounts:
            continue
        internal += 1
        sign = 1 if tx["direction"] == "debit" else -1
        src, dst = (tx["account_id"], other) if sign == 1 else (other, tx["account_id"])
        legs[(src, dst, tx["amount"], tx["occurred_at"])] += sign
    assert internal > 100
    assert all(v == 0 for v in legs.values())


def test_structuring_hides_among_honest_cash(tables: dict[str, pa.Table]) -> None:
    threshold = Decimal("10000.00")
    txs, labels = tables["transactions"].to_pylist(), tables["labels"].to_pylist()
    cash = [
        (Decimal(t["amount"]), lab["typology"])
        for t, lab in zip(txs, labels, strict=True)
        if t["channel"] == "cash_deposit"
    ]
    structured = [a for a, typ in cash if typ == "structuring"]
    honest_near = [
        a for a, typ in cash if typ is None and threshold * Decimal("0.8") <= a < threshold
    ]
    assert structured
    assert all(a < threshold for a in structured)
    assert honest_near, "honest cash businesses must also deposit just under the threshold"


def test_devices_listed_are_enrolled_before_the_start(tables: dict[str, pa.Table]) -> None:
    start = min(tables["transactions"].column("occurred_at").to_pylist())
    assert all(t < start for t in tables["devices"].column("first_seen_at").to_pylist())


def test_same_seed_same_bytes_other_seed_other_data(
    small_dataset: Path, tmp_path: Path, small: SmallScenario
) -> None:
    again = tmp_path / "again"
    generate_dataset(small(), again)
    for path in small_dataset.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = tmp_path / "other"
    generate_dataset(small(seed=12), other)
    assert (other / "transactions.parquet").read_bytes() != (
        small_dataset / "transactions.parquet"
    ).read_bytes()


def test_transaction_target_is_exact(tmp_path: Path, small: SmallScenario) -> None:
    summary = generate_dataset(small(transactions=5000, typologies={}), tmp_path)
    assert summary.transactions == 5000
    assert pq.read_table(tmp_path / "transactions.parquet").num_rows == 5000
