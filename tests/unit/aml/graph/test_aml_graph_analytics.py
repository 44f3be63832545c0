"""Components, communities, degrees, centrality, paths and neighbourhoods on known graphs."""

from __future__ import annotations

from typing import Any

import pytest
from aml_graph_helpers import cycles_among_noise, frame, row, transfer

from finmon.aml.graph import (
    TransactionGraph,
    centrality,
    communities,
    connected_components,
    degree,
    neighbourhood,
    shortest_path,
    top_degrees,
)
from finmon.core.errors import NotFoundError, ValidationError


def two_communities() -> TransactionGraph:
    """Two dense rings of five accounts (many transfers each way) joined by one transfer."""
    rows: list[dict[str, Any]] = []
    for group in ("L", "R"):
        members = [f"{group}{i}" for i in range(5)]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                for k in range(3):
                    rows += transfer(f"{a}{b}{k}", k * 10, a, b, "10.00")
    rows += transfer("bridge", 99, "L0", "R0", "10.00")
    return TransactionGraph.from_tables(frame(rows))


def test_connected_components_over_money_only_by_default() -> None:
    graph = TransactionGraph.from_tables(
        frame(transfer("t", 0, "A", "B", "1.00") + transfer("u", 0, "C", "D", "1.00"))
    )
    parts = connected_components(graph)
    assert parts == [("account:A", "account:B"), ("account:C", "account:D")]
    both = [row("x", 0, "A", "debit", "1.00", merchant="M", device="D0"),
            row("y", 0, "C", "debit", "1.00", merchant="N", device="D0")]  # fmt: skip
    graph.add_transactions(both)
    assert len(connected_components(graph, relations=None)) == 1  # the shared device joins them
    assert len(connected_components(graph)) == 2


@pytest.mark.parametrize("method", ["leiden", "louvain"])
def test_two_communities_joined_by_one_edge(method: Any) -> None:
    found = communities(two_communities(), method=method, seed=1)
    assert [set(c) for c in found] == [
        {f"account:L{i}" for i in range(5)},
        {f"account:R{i}" for i in range(5)},
    ]


def test_communities_are_reproducible_with_a_seed() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    assert communities(graph, seed=3) == communities(graph, seed=3)


def test_degree_from_the_store_and_top_degrees() -> None:
    graph = two_communities()
    assert degree(graph, "account:L0").degree == 5  # L1..L4 and R0
    assert degree(graph, "account:L0").out_degree == 5
    assert degree(graph, "account:L4").in_degree == 4
    top = top_degrees(graph, limit=2)
    assert {d.key for d in top} == {"account:L0", "account:R0"}


def test_bridge_has_the_highest_betweenness_and_pagerank_is_a_distribution() -> None:
    graph = two_communities()
    scores = centrality(graph, "account:L0", measure="betweenness", hops=3)
    assert next(iter(scores)) in {"account:L0", "account:R0"}
    ranks = centrality(graph, "account:L0", measure="pagerank", hops=3)
    assert sum(ranks.values()) == pytest.approx(1.0)
    assert len(ranks) == 10


def test_shortest_path_returns_its_edges() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    path = shortest_path(graph, "account:B1", "account:B3", relations=["pays"], directed=True)
    assert path is not None
    assert path.nodes == ("account:B1", "account:B2", "counterparty:XEXT1", "account:B3")
    assert [e.transaction_ids for e in path.edges] == [("b1d", "b1c"), ("b2",), ("b3",)]
    back = shortest_path(graph, "account:B3", "account:B1", relations=["pays"], directed=True)
    assert back is not None
    assert back.length == 1


def test_shortest_path_through_a_shared_device_and_none_when_unconnected() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    path = shortest_path(graph, "account:A2", "account:N2", relations=["uses", "pays"])
    assert path is not None
    assert path.length == 2
    assert path.nodes[1] == "merchant:M1"
    assert shortest_path(graph, "account:A1", "account:B1", relations=["pays"]) is None


def test_shortest_path_bad_input_names_the_field() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    with pytest.raises(NotFoundError) as info:
        shortest_path(graph, "account:A1", "account:NOPE")
    assert info.value.field == "target"
    with pytest.raises(ValidationError) as bad:
        shortest_path(graph, "A1", "account:A2")
    assert bad.value.field == "source"
    with pytest.raises(ValidationError) as relation:
        shortest_path(graph, "account:A1", "account:A2", relations=["likes"])
    assert relation.value.field == "relations"


def test_neighbourhood_by_hops_and_bounded() -> None:
    graph = TransactionGraph.from_tables(frame(cycles_among_noise()))
    around = neighbourhood(graph, "account:A1", hops=1)
    assert around.distance == {
        "account:A1": 0, "account:A2": 1, "account:A3": 1, "account:N1": 1,
    }  # fmt: skip
    assert all(e.source in around.distance and e.target in around.distance for e in around.edges)
    small = neighbourhood(graph, "account:A1", hops=3, max_nodes=3)
    assert small.truncated
    assert len(small.nodes) == 3
    with pytest.raises(ValidationError) as info:
        neighbourhood(graph, "account:A1", hops=-1)
    assert info.value.field == "hops"


def test_analytics_parameters_are_checked() -> None:
    graph = two_communities()
    with pytest.raises(ValidationError) as method:
        communities(graph, method="girvan")  # type: ignore[arg-type]
    assert method.value.field == "method"
    with pytest.raises(ValidationError) as measure:
        centrality(graph, "account:L0", measure="closeness")  # type: ignore[arg-type]
    assert measure.value.field == "measure"
    with pytest.raises(NotFoundError) as key:
        degree(graph, "customer:nobody")
    assert key.value.field == "key"


def test_snapshot_is_rebuilt_after_the_graph_changes() -> None:
    graph = TransactionGraph.from_tables(frame(transfer("t", 0, "A", "B", "1.00")))
    assert len(connected_components(graph)) == 1
    graph.add_transactions(transfer("u", 1, "C", "D", "1.00"))
    assert len(connected_components(graph)) == 2
