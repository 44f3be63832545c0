"""Benchmark: transaction-graph analytics on 1,000,000 edges: igraph, rustworkx, then finmon.

Run ``.venv/bin/python bench/bench_graph.py`` (a few minutes); writes
``bench/results/graph.json`` and prints a table. docs/aml-graph.md records the
figures and the library choice they support.

The graph is generated, seeded, shaped like a bank's payment graph: 200,000
accounts whose activity is log-normal (a few very busy, most quiet), 5,000
merchants and 60,000 outside counterparties whose popularity is Zipf (a few
supermarkets, utilities and payroll providers take a large share), 55% of
payments to merchants, 25% to or from outside accounts, 20% between accounts;
then the distinct (payer, payee) pairs, 1,000,000 of them.

Library comparison, on the same edge list:

- build a directed graph from the edge list;
- weakly connected components;
- community detection: Louvain and Leiden (modularity) in igraph; rustworkx has
  no community detection at all (reported as such, not as a time);
- cycles up to length 4: a bounded depth-first search from 1,000 sampled
  accounts using each library's adjacency; igraph's ``simple_cycles`` (max
  length 4) on the subgraph within two hops of 200 sampled accounts (on the whole
  graph it does not finish in minutes); rustworkx's ``simple_cycles`` (Johnson,
  no length bound) until 10,000 cycles or 20 s;
- 100 shortest paths between random account pairs (direction ignored);
- PageRank on the whole graph.

finmon (igraph underneath): a 1,000,000-row transaction table over the same
pairs built into a :class:`TransactionGraph` (batch), components, Leiden,
time-respecting cycle search from 1,000 sampled origins (length <= 4, 30-day
window), shortest paths and a 2-hop neighbourhood.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import igraph as ig
import numpy as np
import polars as pl
import rustworkx as rx

from finmon.aml.graph import (
    TransactionGraph,
    communities,
    connected_components,
    find_cycles,
    neighbourhood,
    shortest_path,
)
from finmon.testing.bench import write_results

T = TypeVar("T")
N_ACCOUNTS, N_EXTERNAL, N_MERCHANTS = 200_000, 60_000, 5_000


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 3)


def payment_edges(n_edges: int, seed: int) -> tuple[int, np.ndarray]:
    """Distinct (payer, payee) pairs; node ids: accounts, then outsiders, then merchants."""
    rng = np.random.default_rng(seed)
    n = N_ACCOUNTS + N_EXTERNAL + N_MERCHANTS
    activity = rng.lognormal(0, 1.0, N_ACCOUNTS)
    activity /= activity.sum()
    draws = int(n_edges * 1.3)
    src = rng.choice(N_ACCOUNTS, size=draws, p=activity)
    kind = rng.random(draws)
    merchant_pop = 1.0 / np.arange(1, N_MERCHANTS + 1) ** 1.1
    outside_pop = 1.0 / np.arange(1, N_EXTERNAL + 1) ** 0.9
    dst = np.empty(draws, dtype=np.int64)
    to_merchant, to_outside = kind < 0.55, (kind >= 0.55) & (kind < 0.8)
    to_account = kind >= 0.8
    dst[to_merchant] = (
        N_ACCOUNTS
        + N_EXTERNAL
        + rng.choice(N_MERCHANTS, size=int(to_merchant.sum()), p=merchant_pop / merchant_pop.sum())
    )
    dst[to_outside] = N_ACCOUNTS + rng.choice(
        N_EXTERNAL, size=int(to_outside.sum()), p=outside_pop / outside_pop.sum()
    )
    dst[to_account] = rng.choice(N_ACCOUNTS, size=int(to_account.sum()), p=activity)
    incoming = to_outside & (rng.random(draws) < 0.3)  # salaries, refunds: outsiders pay in
    pairs = np.stack([np.where(incoming, dst, src), np.where(incoming, src, dst)], axis=1)
    pairs = np.unique(pairs, axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return n, pairs[rng.permutation(len(pairs))[:n_edges]]


def bounded_cycles(successors: Callable[[int], list[int]], starts: list[int], k: int) -> int:
    """Simple directed cycles of length <= k through each start (the start as smallest id)."""
    found = 0
    for start in starts:
        stack: list[tuple[int, int, frozenset[int]]] = [(start, 0, frozenset([start]))]
        while stack:
            node, depth, seen = stack.pop()
            for nxt in successors(node):
                if nxt == start and depth >= 1:
                    found += 1
                elif nxt > start and nxt not in seen and depth + 1 < k:
                    stack.append((nxt, depth + 1, seen | {nxt}))
    return found


def bench_igraph(n: int, pairs: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    graph, build = timed(lambda: ig.Graph(n=n, edges=pairs, directed=True))
    comps, cc = timed(lambda: graph.connected_components(mode="weak"))
    undirected, to_und = timed(lambda: graph.as_undirected(mode="collapse"))
    louvain, t_louvain = timed(lambda: undirected.community_multilevel())
    leiden, t_leiden = timed(
        lambda: undirected.community_leiden(objective_function="modularity", n_iterations=2)
    )
    ranks, t_pr = timed(lambda: graph.pagerank())
    starts = [int(s) for s in rng.choice(N_ACCOUNTS, 1_000, replace=False)]
    adjacency, t_adj = timed(lambda: graph.get_adjlist(mode="out"))
    cycles, t_cyc = timed(lambda: bounded_cycles(adjacency.__getitem__, starts, 4))
    ball = set(starts[:200])
    for _ in range(2):
        ball |= {v for s in list(ball) for v in adjacency[s]}
    sub = graph.induced_subgraph(sorted(ball))
    native, t_native = timed(lambda: sub.simple_cycles(min=2, max=4))
    ends = rng.choice(N_ACCOUNTS, (100, 2))
    with warnings.catch_warnings():  # "couldn't reach some vertices"
        warnings.simplefilter("ignore", RuntimeWarning)
        paths, t_sp = timed(
            lambda: [graph.get_shortest_path(int(a), to=int(b), mode="all") for a, b in ends]
        )
    return {
        "build_s": build,
        "weak_components_s": cc,
        "components": len(comps),
        "to_undirected_s": to_und,
        "louvain_s": t_louvain,
        "louvain_communities": len(louvain),
        "louvain_modularity": round(louvain.modularity, 4),
        "leiden_s": t_leiden,
        "leiden_communities": len(leiden),
        "leiden_modularity": round(undirected.modularity(leiden.membership), 4),
        "pagerank_s": t_pr,
        "pagerank_sum": round(sum(ranks), 6),
        "adjacency_s": t_adj,
        "cycles_le4_from_1000_starts_s": t_cyc,
        "cycles_le4_from_1000_starts": cycles,
        "simple_cycles_le4_2hop_subgraph_s": t_native,
        "simple_cycles_le4_2hop_subgraph": len(native),
        "subgraph_edges": sub.ecount(),
        "shortest_paths_100_s": t_sp,
        "paths_found": sum(1 for p in paths if len(p) > 1),
    }


def bench_rustworkx(n: int, pairs: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    def build() -> rx.PyDiGraph:
        graph = rx.PyDiGraph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from_no_data([(int(a), int(b)) for a, b in pairs])
        return graph

    graph, t_build = timed(build)
    comps, cc = timed(lambda: rx.weakly_connected_components(graph))
    ranks, t_pr = timed(lambda: rx.pagerank(graph))
    starts = [int(s) for s in rng.choice(N_ACCOUNTS, 1_000, replace=False)]
    cycles, t_cyc = timed(lambda: bounded_cycles(graph.successor_indices, starts, 4))

    def johnson() -> list[list[int]]:
        found: list[list[int]] = []
        begin = time.perf_counter()
        for cycle in rx.simple_cycles(graph):
            found.append(list(cycle))
            if len(found) >= 10_000 or time.perf_counter() - begin > 20:
                break
        return found

    native, t_native = timed(johnson)
    ends = rng.choice(N_ACCOUNTS, (100, 2))
    paths, t_sp = timed(
        lambda: [
            rx.digraph_dijkstra_shortest_paths(graph, int(a), int(b), as_undirected=True)
            for a, b in ends
        ]
    )
    return {
        "build_s": t_build,
        "weak_components_s": cc,
        "components": len(comps),
        "louvain_s": None,
        "leiden_s": None,
        "communities": "none: rustworkx has no community detection",
        "pagerank_s": t_pr,
        "pagerank_sum": round(sum(ranks.values()), 6),
        "cycles_le4_from_1000_starts_s": t_cyc,
        "cycles_le4_from_1000_starts": cycles,
        "simple_cycles_first_10000_or_20s_s": t_native,
        "simple_cycles_found": len(native),
        "simple_cycles_mean_length": round(float(np.mean([len(c) for c in native])), 1)
        if native
        else None,
        "shortest_paths_100_s": t_sp,
        "paths_found": sum(1 for p in paths if p),
    }


def transaction_table(pairs: np.ndarray, seed: int) -> pl.DataFrame:
    """One payment per pair over 30 days: debits out of our accounts, credits from outsiders."""
    rng = np.random.default_rng(seed + 1)
    src, dst = pairs[:, 0], pairs[:, 1]
    ours_pays = src < N_ACCOUNTS
    account = np.where(ours_pays, src, dst)
    other = np.where(ours_pays, dst, src)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    seconds = rng.integers(0, 30 * 86_400, len(pairs))
    cents = np.round(rng.lognormal(8, 1.2, len(pairs))).astype(np.int64) + 1
    frame = pl.DataFrame(
        {
            "transaction_id": [f"t{i}" for i in range(len(pairs))],
            "occurred_at": pl.Series([start] * len(pairs)).dt.replace_time_zone("UTC")
            + pl.Series(seconds * 1_000_000).cast(pl.Duration("us")),
            "account_id": pl.Series(account).cast(pl.String),
            "direction": np.where(ours_pays, "debit", "credit"),
            "amount": [f"{c // 100}.{c % 100:02d}" for c in cents],
            "currency": "USD",
            "_other": pl.Series(other).cast(pl.String),
            "_merchant": other >= N_ACCOUNTS + N_EXTERNAL,
        }
    )
    return frame.select(
        pl.exclude("_other", "_merchant"),
        pl.when("_merchant").then("_other").otherwise(None).alias("merchant_id"),
        pl.when(~pl.col("_merchant"))
        .then("_other")
        .otherwise(None)
        .alias("counterparty_account_id"),
    ).sort("occurred_at")


def bench_finmon(pairs: np.ndarray, seed: int, rng: np.random.Generator) -> dict[str, Any]:
    table = transaction_table(pairs, seed)
    graph, t_build = timed(lambda: TransactionGraph.from_tables(table))
    comps, t_cc = timed(lambda: connected_components(graph))
    groups, t_leiden = timed(lambda: communities(graph, method="leiden"))
    accounts = list(graph.nodes("account"))
    origins = [accounts[int(i)] for i in rng.choice(len(accounts), 1_000, replace=False)]
    cycles, t_cyc = timed(
        lambda: find_cycles(graph, max_length=4, window=timedelta(days=30), origins=origins)
    )
    ends = rng.choice(len(accounts), (20, 2))
    _, t_sp = timed(
        lambda: [
            shortest_path(graph, accounts[a], accounts[b], relations=["pays"]) for a, b in ends
        ]
    )
    around, t_nb = timed(lambda: neighbourhood(graph, accounts[0], hops=2, max_nodes=2_000))
    return {
        "transactions": table.height,
        "nodes": graph.node_count,
        "edges": graph.edge_count,
        "build_batch_s": t_build,
        "build_tx_per_s": round(table.height / t_build),
        "weak_components_s": t_cc,
        "components": len(comps),
        "leiden_s": t_leiden,
        "communities": len(groups),
        "temporal_cycles_le4_from_1000_origins_s": t_cyc,
        "temporal_cycles_found": len(cycles),
        "shortest_paths_20_s": t_sp,
        "neighbourhood_2hop_s": t_nb,
        "neighbourhood_nodes": len(around.nodes),
    }


def table(results: dict[str, Any]) -> str:
    ig_, rx_ = results["igraph"], results["rustworkx"]
    rows = [
        ("build directed graph", ig_["build_s"], rx_["build_s"]),
        ("weakly connected components", ig_["weak_components_s"], rx_["weak_components_s"]),
        ("Louvain", ig_["louvain_s"], None),
        ("Leiden", ig_["leiden_s"], None),
        ("PageRank", ig_["pagerank_s"], rx_["pagerank_s"]),
        (
            "cycles <=4 from 1,000 starts",
            ig_["cycles_le4_from_1000_starts_s"],
            rx_["cycles_le4_from_1000_starts_s"],
        ),  # fmt: skip
        ("100 shortest paths", ig_["shortest_paths_100_s"], rx_["shortest_paths_100_s"]),
    ]
    lines = [f"{'operation':34} {'igraph s':>10} {'rustworkx s':>12}"]
    for name, a, b in rows:
        right = "n/a" if b is None else f"{b:.3f}"
        lines.append(f"{name:34} {a:>10.3f} {right:>12}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    (n, pairs), t_gen = timed(lambda: payment_edges(args.edges, args.seed))
    results: dict[str, Any] = {
        "graph": {"nodes": n, "edges": len(pairs), "seed": args.seed, "generate_s": t_gen},
        "igraph": bench_igraph(n, pairs, np.random.default_rng(args.seed)),
        "rustworkx": bench_rustworkx(n, pairs, np.random.default_rng(args.seed)),
        "finmon": bench_finmon(pairs, args.seed, np.random.default_rng(args.seed)),
        "versions": {"igraph": ig.__version__, "rustworkx": rx.__version__},
    }
    write_results("graph", "transaction-graph analytics, 1M edges", results)
    print(table(results))  # noqa: T201 - a benchmark reports on stdout


if __name__ == "__main__":
    main()
