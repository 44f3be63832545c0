"""Time-respecting cycle search: known cycles among noise, and the simulator's cycle typology."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from aml_graph_helpers import cycles_among_noise, frame, row, transfer

from finmon.aml.graph import TransactionGraph, find_cycles, load_graph
from finmon.core.errors import NotFoundError, ValidationError


@pytest.fixture(scope="module")
def graph() -> TransactionGraph:
    return TransactionGraph.from_tables(frame(cycles_among_noise()))


def test_finds_the_3_cycle_and_the_4_cycle_and_nothing_else(graph: TransactionGraph) -> None:
    cycles = find_cycles(graph, max_length=6)
    assert [c.nodes for c in cycles] == [
        ("account:A1", "account:A2", "account:A3"),
        ("account:B1", "account:B2", "counterparty:XEXT1", "account:B3"),
    ]
    three, four = cycles
    assert three.transaction_ids == ("a1d", "a1c", "a2d", "a2c", "a3d", "a3c")
    assert four.transaction_ids == ("b1d", "b1c", "b2", "b3", "b4d", "b4c")
    assert four.accounts == ("account:B1", "account:B2", "account:B3")
    assert [h.amount_minor for h in four.hops] == [50_000, 48_000, 47_000, 45_000]
    assert three.start < three.end


def test_max_length_bounds_the_search(graph: TransactionGraph) -> None:
    assert [len(c.hops) for c in find_cycles(graph, max_length=3)] == [3]


def test_window_excludes_slow_cycles(graph: TransactionGraph) -> None:
    # the 4-cycle takes 290 minutes, the 3-cycle 120
    assert [len(c.hops) for c in find_cycles(graph, window=timedelta(minutes=200))] == [3]


def test_amount_tolerance_drops_loops_with_unrelated_amounts() -> None:
    rows = (
        transfer("p", 0, "P1", "P2", "1000.00")
        + transfer("q", 10, "P2", "P3", "980.00")
        + transfer("r", 20, "P3", "P1", "15.00")  # not the same money coming back
    )
    graph = TransactionGraph.from_tables(frame(rows))
    assert len(find_cycles(graph)) == 1
    assert find_cycles(graph, amount_tolerance=0.1) == []


def test_a_refund_from_an_outsider_is_not_a_cycle_by_default() -> None:
    rows = [
        row("o", 0, "A", "debit", "50.00", counterparty="SHOP"),
        row("i", 60, "A", "credit", "50.00", counterparty="SHOP"),
    ]
    graph = TransactionGraph.from_tables(frame(rows))
    assert find_cycles(graph) == []
    assert len(find_cycles(graph, min_accounts=1)) == 1


def test_repeated_rounds_are_one_cycle_with_occurrences() -> None:
    rows = []
    for k in range(3):
        rows += transfer(f"x{k}", 1000 * k, "X1", "X2", "10.00")
        rows += transfer(f"y{k}", 1000 * k + 5, "X2", "X3", "10.00")
        rows += transfer(f"z{k}", 1000 * k + 9, "X3", "X1", "10.00")
    [cycle] = find_cycles(TransactionGraph.from_tables(frame(rows)), window=timedelta(hours=1))
    assert cycle.occurrences == 3
    assert cycle.hops[0].transaction_ids == ("x0d", "x0c")


def test_origins_limit_the_search(graph: TransactionGraph) -> None:
    assert [c.origin for c in find_cycles(graph, origins=["account:B1"])] == ["account:B1"]
    assert find_cycles(graph, origins=["account:A2"]) == []  # A1's money, A2 is not its origin


def test_bad_parameters_name_the_field(graph: TransactionGraph) -> None:
    for kwargs, field in (
        ({"max_length": 1}, "max_length"),
        ({"window": timedelta(0)}, "window"),
        ({"amount_tolerance": 2.0}, "amount_tolerance"),
    ):
        with pytest.raises(ValidationError) as info:
            find_cycles(graph, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
    with pytest.raises(NotFoundError) as missing:
        find_cycles(graph, origins=["account:NOPE"])
    assert missing.value.field == "origins"


def _closes_through_observed_nodes(rows: list[dict[str, object]]) -> bool:
    """Whether money that leaves to an outside account comes back *from that same* account.

    When it leaves to one outside account and returns from another, the link
    between the two is at the other bank: no graph of what we observe closes it.
    """
    out = {r["counterparty_account_id"] for r in rows if r["direction"] == "debit"}
    back = {r["counterparty_account_id"] for r in rows if r["direction"] == "credit"}
    accounts = {r["account_id"] for r in rows}
    return (back - accounts) <= out


def test_finds_the_simulated_cycle_typology(simulated_bank: Path) -> None:
    """Every injected cycle that closes through observed nodes is found, with its transactions.

    The search knows nothing of the simulator: money back at its origin through
    at most 8 hops (six accounts and two outside hops) within 14 days, each hop
    forwarding 80-120% of the previous one.
    """
    import polars as pl

    graph = load_graph(simulated_bank)
    cycles = find_cycles(graph, window=timedelta(days=14), amount_tolerance=0.2)
    truth = pl.read_parquet(simulated_bank / "ground_truth.parquet")
    transactions = pl.read_parquet(simulated_bank / "transactions.parquet")
    instances = truth.filter(pl.col("typology") == "cycle").to_dicts()
    observable = 0
    for instance in instances:
        ids = set(json.loads(instance["transaction_ids"]))
        assert 2 <= len(json.loads(instance["account_ids"])) <= 6
        rows = transactions.filter(pl.col("transaction_id").is_in(list(ids))).to_dicts()
        found = any(set(c.transaction_ids) <= ids for c in cycles)
        if _closes_through_observed_nodes(rows):
            observable += 1
            assert found, instance["instance_id"]
    assert observable >= len(instances) - 1 >= 2
    labels = pl.read_parquet(simulated_bank / "labels.parquet")
    typology = dict(zip(labels["transaction_id"], labels["typology"], strict=True))
    on_cycles = [typology.get(t) for c in cycles for t in c.transaction_ids]
    assert on_cycles.count("cycle") >= 0.8 * len(on_cycles)  # few false cycles
