"""The graph model: typed nodes, paired legs, and batch == incremental."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from aml_graph_helpers import START, cycles_among_noise, frame, row, transfer

from finmon.aml.graph import TransactionGraph
from finmon.core.errors import NotFoundError, ValidationError


def incremental(rows: list[dict[str, Any]], **refs: Any) -> TransactionGraph:
    graph = TransactionGraph()
    if "accounts" in refs:
        graph.add_accounts(refs["accounts"])
    if "customers" in refs:
        graph.add_customers(refs["customers"])
    if "devices" in refs:
        graph.add_devices(refs["devices"])
    graph.add_transactions(rows)
    return graph


def test_typed_nodes_and_one_movement_per_internal_transfer() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    assert "account:A1" in graph
    assert "counterparty:XEXT1" in graph  # never one of ours
    assert "account:XEXT1" not in graph
    assert {"merchant:M1", "device:D1", "ip:1.2.3.4"} <= set(graph.nodes())
    [edge] = [
        e for e in graph.edges("pays") if (e.source, e.target) == ("account:A1", "account:A2")
    ]
    assert edge.count == 1  # two legs, one movement
    assert edge.total_minor == 100_000
    assert set(edge.transaction_ids) == {"a1d", "a1c"}
    assert edge.first_at == START


def test_direction_decides_the_flow() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    flows = {(e.source, e.target) for e in graph.edges("pays")}
    assert ("account:B2", "counterparty:XEXT1") in flows  # debit: out of B2
    assert ("counterparty:XEXT1", "account:B3") in flows  # credit: into B3
    assert ("counterparty:EMPLOYER", "account:B2") in flows
    assert ("account:A2", "merchant:M1") in flows


def test_usage_and_ownership_edges() -> None:
    rows = [
        row("t1", 0, "A1", "debit", "5.00", merchant="M", customer="C1", device="D", ip="9.9.9.9")
    ]
    graph = TransactionGraph.from_tables(frame(rows))
    relations = {(e.source, e.target, e.relation) for e in graph.edges()}
    assert ("customer:C1", "account:A1", "owns") in relations
    assert ("account:A1", "device:D", "uses") in relations
    assert ("customer:C1", "ip:9.9.9.9", "uses") in relations


def test_batch_equals_incremental_in_table_order() -> None:
    rows = cycles_among_noise()
    assert TransactionGraph.from_tables(frame(rows)).snapshot() == incremental(rows).snapshot()


def test_batch_equals_incremental_in_any_arrival_order() -> None:
    """A credit leg before its debit leg, or an account seen first as a counterparty."""
    rows = cycles_among_noise()
    batch = TransactionGraph.from_tables(frame(rows)).snapshot()
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert incremental(shuffled).snapshot() == batch


def test_batch_equals_incremental_with_reference_files() -> None:
    rows = cycles_among_noise() + [row("x", 5, "A9", "debit", "1.00", merchant="M1")]
    accounts = pa.table({"account_id": ["A1", "A9", "Z1"], "customer_id": ["C1", "C9", "C1"]})
    customers = pa.table(
        {
            "customer_id": ["C1", "C9"],
            "phone": ["+1 555 0100", "+1-555-0100"],
            "address": ["x", None],
        }
    )
    devices = pa.table({"device_id": ["D1"], "customer_id": ["C9"]})
    refs = {"accounts": accounts, "customers": customers, "devices": devices}
    batch = TransactionGraph.from_tables(frame(rows), **refs)
    assert batch.snapshot() == incremental(rows, **refs).snapshot()
    assert "account:Z1" in batch  # known from the accounts file though it never transacted
    assert "phone:+15550100" in batch


def test_replayed_transaction_changes_nothing() -> None:
    rows = cycles_among_noise()
    graph = incremental(rows)
    before = graph.snapshot()
    graph.add_transactions(rows[:5])
    assert graph.snapshot() == before
    assert TransactionGraph.from_tables(frame(rows + rows[:3])).snapshot() == before


def test_amounts_are_exact_minor_units_per_currency() -> None:
    rows = [
        row("j", 0, "A", "debit", "1500", counterparty="X", currency="JPY"),
        row("k", 1, "A", "debit", "0.1", counterparty="X", currency="KWD"),
        row("u", 2, "A", "debit", "19.9", counterparty="X"),
    ]
    for graph in (TransactionGraph.from_tables(frame(rows)), incremental(rows)):
        totals = {e.currency: e.total_minor for e in graph.edges("pays")}
        assert totals == {"JPY": 1500, "KWD": 100, "USD": 1990}


def test_money_component_is_kept_up_to_date_on_the_stream() -> None:
    graph = TransactionGraph()
    graph.add_transactions(transfer("t", 0, "A", "B", "1.00"))
    graph.add_transactions(transfer("u", 1, "C", "D", "1.00"))
    assert graph.money_component_id("account:A") == graph.money_component_id("account:B")
    assert graph.money_component_id("account:A") != graph.money_component_id("account:C")
    graph.add_transactions(transfer("v", 2, "B", "C", "1.00"))
    assert graph.money_component_id("account:A") == graph.money_component_id("account:D")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account_id": None}, "account_id"),
        ({"direction": "sideways"}, "direction"),
        ({"amount": "ten"}, "amount"),
        ({"occurred_at": START.replace(tzinfo=None)}, "occurred_at"),
        ({"currency": "XXQ"}, "currency"),
    ],
)
def test_bad_row_names_the_field(change: dict[str, Any], field: str) -> None:
    bad = {**row("t", 0, "A", "debit", "1.00", counterparty="B"), **change}
    with pytest.raises(ValidationError) as info:
        TransactionGraph().add_transaction(bad)
    assert info.value.field == field


def test_bad_table_names_the_field() -> None:
    table = frame([row("t", 0, "A", "debit", "1.001", counterparty="B")])
    with pytest.raises(ValidationError) as info:
        TransactionGraph.from_tables(table)
    assert (info.value.field, info.value.code) == ("amount", "precision")
    with pytest.raises(ValidationError) as info:
        TransactionGraph.from_tables(table.drop("account_id"))
    assert info.value.field == "account_id"
    with pytest.raises(ValidationError) as info:
        TransactionGraph.from_tables(frame([row("t", 0, "A", "up", "1.00")]))
    assert info.value.field == "direction"


def test_unknown_and_malformed_keys() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    with pytest.raises(NotFoundError) as missing:
        graph.index_of("account:NOPE", field="source")
    assert missing.value.field == "source"
    with pytest.raises(ValidationError):
        graph.index_of("A1")
    with pytest.raises(ValidationError):
        graph.index_of("planet:A1")
    with pytest.raises(NotFoundError):
        graph.index_of("account:XEXT1")  # an outside account is a counterparty


def test_batch_equals_incremental_on_a_simulated_bank(simulated_bank: Path) -> None:
    """The simulator's whole bank, reference files included, built both ways."""
    import polars as pl

    from finmon.aml.graph import connected_components, load_graph

    batch = load_graph(simulated_bank)
    rows = pl.read_parquet(simulated_bank / "transactions.parquet").sort(
        "occurred_at", maintain_order=True
    )
    refs = {
        name: pl.read_parquet(simulated_bank / f"{name}.parquet")
        for name in ("accounts", "customers", "devices")
    }
    stream = incremental(list(rows.iter_rows(named=True)), **refs)
    assert stream.snapshot() == batch.snapshot()
    # the streaming union-find agrees with the batch components
    for part in connected_components(batch)[:3]:
        ids = {stream.money_component_id(key) for key in part}
        assert len(ids) == 1
