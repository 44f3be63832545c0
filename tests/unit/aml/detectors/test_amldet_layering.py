"""Cycles, scatter-gather, gather-scatter, bipartite and stacked layering."""

from __future__ import annotations

from amldet_stream import ids, leg, pay, receive, run

from finmon.aml.detectors import (
    BipartiteDetector,
    CycleDetector,
    GatherScatterDetector,
    ScatterGatherDetector,
    StackedLayeringDetector,
)
from finmon.aml.detectors.edges import EdgeStream
from finmon.monitor.transaction import Txn


def test_edge_stream_folds_the_mirror_leg_into_one_movement() -> None:
    legs = pay("A", "B", 500, 1)
    stream = EdgeStream()
    edges = [stream.push(t) for t in legs]
    assert edges[1] is None
    assert edges[0] is not None
    assert edges[0].txn_ids == [legs[0].transaction_id, legs[1].transaction_id]
    assert (edges[0].src, edges[0].dst) == ("A", "B")


def test_cycle_money_returns_to_its_origin() -> None:
    txns = [*pay("A", "B", 10_000, 0), *pay("B", "C", 9_600, 20), *pay("C", "A", 9_300, 50)]
    (found,) = run(CycleDetector(), txns)
    assert set(found.transaction_ids) == ids(txns)  # every leg of every hop
    assert set(found.account_ids) == {"A", "B", "C"}
    assert found.detected_at == txns[-1].occurred_us


def test_cycle_through_a_party_elsewhere() -> None:
    txns = [
        *pay("A", "B", 10_000, 0),
        leg("B", "debit", 9_700, 10, cp="EXT-X"),
        receive("C", "EXT-X", 9_500, 20),
        *pay("C", "A", 9_200, 30),
    ]
    (found,) = run(CycleDetector(), txns)
    assert "EXT-X" in found.account_ids


def test_cycle_look_alikes_small_return_wrong_order_or_too_late() -> None:
    small_return = [*pay("A", "B", 10_000, 0), *pay("B", "A", 100, 5)]  # dinner money back
    wrong_order = [*pay("D", "E", 9_000, 10), *pay("E", "F", 9_000, 5), *pay("F", "D", 9_000, 20)]
    too_late = [*pay("G", "H", 5_000, 0), *pay("H", "G", 4_900, 24 * 40)]  # 40 days > 30
    assert run(CycleDetector(), small_return + wrong_order + too_late) == []


def test_scatter_gather_split_then_gathered() -> None:
    txns = [
        *pay("S", "X1", 3_000, 0),
        *pay("S", "X2", 3_000, 1),
        *pay("S", "X3", 3_000, 2),
        *pay("X1", "T", 2_900, 30),
        *pay("X2", "T", 2_850, 31),
        *pay("X3", "T", 2_950, 32),
    ]
    (found,) = run(ScatterGatherDetector(), txns)
    assert set(found.account_ids) == {"S", "X1", "X2", "X3", "T"}
    assert set(found.transaction_ids) == ids(txns)


def test_scatter_gather_payroll_then_rent_to_one_landlord_is_not() -> None:
    """An employer pays three staff who each pay the same letting agent a third of it."""
    txns = [
        *pay("EMP", "W1", 3_000, 0),
        *pay("EMP", "W2", 3_000, 0),
        *pay("EMP", "W3", 3_000, 0),
        *pay("W1", "AGENT", 1_000, 30),
        *pay("W2", "AGENT", 1_100, 31),
        *pay("W3", "AGENT", 900, 32),
    ]
    assert run(ScatterGatherDetector(), txns) == []


def test_gather_scatter_hub_collects_then_distributes() -> None:
    txns = [
        *[receive("HUB", f"IN{i}", 4_000, i) for i in range(4)],
        *[leg("HUB", "debit", 3_800, 40 + i, cp=f"OUT{i}") for i in range(4)],
    ]
    (found,) = run(GatherScatterDetector(), txns)
    assert "HUB" in found.account_ids
    assert len(found.transaction_ids) == 8


def test_gather_scatter_hub_that_keeps_the_money_is_not() -> None:
    txns = [
        *[receive("HUB", f"IN{i}", 4_000, i) for i in range(4)],
        *[leg("HUB", "debit", 400, 40 + i, cp=f"OUT{i}") for i in range(4)],
    ]
    assert run(GatherScatterDetector(), txns) == []


def _block(sources: list[str], sinks: list[str], hours: float = 0) -> list[Txn]:
    txns: list[Txn] = []
    for i, s in enumerate(sources):
        for j, t in enumerate(sinks):
            if (i + j) % 3 != 2:
                txns += pay(s, t, 2_000 + 10 * i + j, hours + i + j / 10)
    return txns


def test_bipartite_many_to_many_block() -> None:
    txns = _block(["L1", "L2", "L3"], ["R1", "R2", "R3"])
    (found,) = run(BipartiteDetector(), txns)
    assert set(found.account_ids) == {"L1", "L2", "L3", "R1", "R2", "R3"}


def test_bipartite_household_and_star_are_not() -> None:
    household = [*pay("MUM", "KID1", 200, 0), *pay("MUM", "KID2", 200, 0)]
    household += [*pay("DAD", "KID1", 200, 1), *pay("DAD", "KID2", 200, 1)]  # 2 x 2: 4 parties
    payroll = [t for i in range(6) for t in pay("BOSS", f"W{i}", 2_000, i)]  # a star
    assert run(BipartiteDetector(), household + payroll) == []


def test_stacked_layering_three_layers_in_order() -> None:
    first = _block(["A1", "A2"], ["B1", "B2"], 0)
    second = _block(["B1", "B2"], ["C1", "C2"], 72)
    (found,) = run(StackedLayeringDetector(), first + second)
    assert {"A1", "A2", "B1", "B2", "C1", "C2"} <= set(found.account_ids)


def test_stacked_layering_needs_the_second_layer_after_the_first() -> None:
    second = _block(["B1", "B2"], ["C1", "C2"], 0)
    first = _block(["A1", "A2"], ["B1", "B2"], 72)  # money reaches the middle only later
    assert run(StackedLayeringDetector(), first + second) == []
