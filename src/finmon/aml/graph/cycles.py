"""Bounded-length, time-respecting cycle search: money that comes back to where it started.

Definition (an investigator's, not a simulator's): a *cycle* is a sequence of
money movements m1, m2, ..., mk (k <= ``max_length`` hops) where m1 leaves an
account of the bank (the *origin*), each mi+1 leaves the node mi arrived at no
earlier than mi, the last one arrives back at the origin, no node repeats, and
the whole sequence fits in ``window``. Intermediaries may be the bank's
accounts or outside counterparties (money often leaves the bank and comes back
through an external account). At least ``min_accounts`` of the bank's accounts
must take part (2 by default: one account paying an outsider and being paid
back is a refund, not layering). Optionally each hop's amount must be within
``amount_tolerance`` (a fraction) of the previous one's: money forwarded less
a fee, as opposed to unrelated payments that happen to close a loop.

A structural cycle (A->B->C->A in the aggregated graph) is not enough: rent
paid on the 1st and a refund a year later close a loop but move no money
around. So the search walks movements in time order, not just edges.

Algorithm: for each origin, a reverse breadth-first search bounds which nodes
can still get back within the remaining hops (prunes most of the graph); then
a depth-first search from every movement leaving the origin, taking on each
next edge the *earliest* movement that fits (after the previous one, inside the
window, amount within tolerance). Earliest arrival leaves the most time for the
hops after it, so without a tolerance no time-respecting cycle is missed for
that first movement; with one it is a (documented) heuristic. Each distinct
node sequence is reported once, with its earliest instance and how many first
movements close it.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from finmon.aml.graph.model import Movement, TransactionGraph, require_key
from finmon.core.errors import ValidationError
from finmon.monitor.transaction import from_micros


@dataclass(frozen=True, slots=True)
class Hop:
    """One movement of a cycle: who paid whom, when, how much, and the transactions behind it."""

    source: str
    target: str
    at: datetime
    amount_minor: int
    currency: str
    transaction_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cycle:
    """Money that left ``origin`` and came back: its nodes (origin first) and hops in order."""

    origin: str
    nodes: tuple[str, ...]
    hops: tuple[Hop, ...]
    accounts: tuple[str, ...]
    occurrences: int

    @property
    def start(self) -> datetime:
        return self.hops[0].at

    @property
    def end(self) -> datetime:
        return self.hops[-1].at

    @property
    def transaction_ids(self) -> tuple[str, ...]:
        return tuple(t for hop in self.hops for t in hop.transaction_ids)


@dataclass(frozen=True, slots=True)
class CycleQuery:
    """The parameters of a search (see the module docstring)."""

    max_length: int = 8
    window: timedelta = timedelta(days=30)
    amount_tolerance: float | None = None
    min_accounts: int = 2
    max_cycles: int = 10_000

    def check(self) -> None:
        if not 2 <= self.max_length <= 12:
            raise ValidationError("max_length must be 2..12 hops", field="max_length")
        if self.window <= timedelta(0):
            raise ValidationError("window must be positive", field="window")
        tolerance = self.amount_tolerance
        if tolerance is not None and not 0 <= tolerance < 1:
            raise ValidationError("amount_tolerance must be in [0, 1)", field="amount_tolerance")
        if self.min_accounts < 1:
            raise ValidationError("min_accounts must be at least 1", field="min_accounts")
        if self.max_cycles < 1:
            raise ValidationError("max_cycles must be at least 1", field="max_cycles")


class _Search:
    """State of one search; ``edge_times`` caches each edge's movement times for bisect."""

    def __init__(self, graph: TransactionGraph, query: CycleQuery) -> None:
        self.graph = graph
        self.query = query
        self.window_us = int(query.window.total_seconds() * 1_000_000)
        self.edge_times: dict[int, list[int]] = {}
        self.found: dict[tuple[int, ...], list[tuple[int, Movement]]] = {}
        self.occurrences: dict[tuple[int, ...], int] = {}

    def times(self, edge: int) -> list[int]:
        cached = self.edge_times.get(edge)
        if cached is None:
            cached = [m[0] for m in self.graph.movements(edge)]
            self.edge_times[edge] = cached
        return cached

    def distances_to(self, origin: int) -> dict[int, int]:
        """Hops from each node back to ``origin`` along ``pays`` edges, up to max_length - 1."""
        graph = self.graph
        dist = {origin: 0}
        frontier = deque([origin])
        while frontier:
            node = frontier.popleft()
            if dist[node] >= self.query.max_length - 1:
                continue
            for edge in graph.in_edges(node):
                src, _, relation = graph.edge_ends(edge)
                if relation == "pays" and src not in dist:
                    dist[src] = dist[node] + 1
                    frontier.append(src)
        return dist

    def next_move(self, edge: int, after: int, deadline: int, previous: int) -> Movement | None:
        """The earliest movement on ``edge`` at/after ``after``, by ``deadline``, that fits."""
        moves = self.graph.movements(edge)
        tolerance = self.query.amount_tolerance
        for i in range(bisect.bisect_left(self.times(edge), after), len(moves)):
            move = moves[i]
            if move[0] > deadline:
                return None
            if tolerance is None or abs(move[1] - previous) <= tolerance * previous:
                return move
        return None

    def run(self, origin: int) -> None:
        dist = self.distances_to(origin)
        if len(dist) < 2:
            return
        graph = self.graph
        for edge in graph.out_edges(origin):
            first_node, relation = graph.edge_ends(edge)[1:]
            if relation != "pays" or first_node == origin or first_node not in dist:
                continue
            for move in graph.movements(edge):
                path = [(edge, move)]
                self._extend(origin, first_node, path, {origin, first_node}, dist)
                if len(self.found) >= self.query.max_cycles:
                    return

    def _extend(
        self,
        origin: int,
        node: int,
        path: list[tuple[int, Movement]],
        on_path: set[int],
        dist: dict[int, int],
    ) -> None:
        graph = self.graph
        hops_left = self.query.max_length - len(path)
        last = path[-1][1]
        deadline = path[0][1][0] + self.window_us
        currency = graph.edge_currency(path[-1][0])
        for edge in graph.out_edges(node):
            _, nxt, relation = graph.edge_ends(edge)
            if relation != "pays" or dist.get(nxt, hops_left + 1) > hops_left - 1:
                continue
            if nxt in on_path and nxt != origin:
                continue
            same_currency = graph.edge_currency(edge) == currency
            if self.query.amount_tolerance is not None and not same_currency:
                continue
            move = self.next_move(edge, last[0], deadline, last[1])
            if move is None:
                continue
            path.append((edge, move))
            if nxt == origin:
                self._record(path)
            elif hops_left > 1:
                on_path.add(nxt)
                self._extend(origin, nxt, path, on_path, dist)
                on_path.discard(nxt)
            path.pop()

    def _record(self, path: list[tuple[int, Movement]]) -> None:
        graph = self.graph
        nodes = tuple(graph.edge_ends(edge)[0] for edge, _ in path)
        accounts = sum(1 for n in nodes if graph.is_internal(n))
        if accounts < self.query.min_accounts:
            return
        self.occurrences[nodes] = self.occurrences.get(nodes, 0) + 1
        if nodes not in self.found:
            self.found[nodes] = list(path)

    def cycles(self) -> list[Cycle]:
        graph = self.graph
        result = []
        for nodes, path in self.found.items():
            hops = tuple(
                Hop(
                    source=graph.key(graph.edge_ends(edge)[0]),
                    target=graph.key(graph.edge_ends(edge)[1]),
                    at=from_micros(move[0]),
                    amount_minor=move[1],
                    currency=graph.edge_currency(edge),
                    transaction_ids=tuple(t for t in (move[2], move[3]) if t),
                )
                for edge, move in path
            )
            keys = tuple(graph.key(n) for n in nodes)
            result.append(
                Cycle(
                    origin=keys[0],
                    nodes=keys,
                    hops=hops,
                    accounts=tuple(
                        k for n, k in zip(nodes, keys, strict=True) if graph.is_internal(n)
                    ),
                    occurrences=self.occurrences[nodes],
                )
            )
        result.sort(key=lambda c: (c.start, c.nodes))
        return result


def find_cycles(
    graph: TransactionGraph,
    *,
    max_length: int = 8,
    window: timedelta = timedelta(days=30),
    amount_tolerance: float | None = None,
    min_accounts: int = 2,
    origins: Iterable[str] | None = None,
    max_cycles: int = 10_000,
) -> list[Cycle]:
    """Every time-respecting cycle of at most ``max_length`` hops (module docstring).

    ``origins`` limits the search to cycles starting at those accounts (the
    "cycles through this account?" question, or sampled starts on a huge graph);
    by default every account of the bank is an origin. ``max_cycles`` stops a
    search that would otherwise flood an analyst.

    Raises:
        ValidationError: a parameter out of range (names it).
        NotFoundError: an origin not in the graph (field ``origins``).
    """
    query = CycleQuery(max_length, window, amount_tolerance, min_accounts, max_cycles)
    query.check()
    search = _Search(graph, query)
    if origins is None:
        starts = sorted(i for i in range(graph.node_count) if graph.is_internal(i))
    else:
        starts = [require_key(graph, key, "origins") for key in origins]
    for origin in starts:
        search.run(origin)
        if len(search.found) >= max_cycles:
            break
    return search.cycles()


__all__ = ["Cycle", "CycleQuery", "Hop", "find_cycles"]
