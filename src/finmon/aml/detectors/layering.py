"""Layering shapes in the transaction graph: cycles, scatter-gather, gather-scatter,
bipartite and stacked (layered) bipartite — the AMLSim / AMLworld patterns.

Each detector keeps its own window of movements (:class:`EdgeWindow`, bounded
by its window) and, on every new movement, looks only at the neighbourhood of
that movement for the shape completed by it: the work per transaction is
bounded by the degrees of the nodes it touches. Nodes with many counterparties
in the window (billers, payroll processors, marketplaces: ``max_degree``) are
not conduits and are left out of the shapes — a utility with ten thousand
payers is not a bipartite layer.

A shape that keeps growing stays one finding: every node of an open finding
points at it (:class:`NodeKeys`), and a new shape that touches one of its nodes
extends it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from finmon.aml.detectors.base import DAY_US, Detector, Finding, money
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.edges import Edge, EdgeStream, EdgeWindow
from finmon.monitor.transaction import Txn


class NodeKeys:
    """Which open finding a node belongs to (forgotten after ``ttl_us`` of silence)."""

    def __init__(self, ttl_us: int) -> None:
        self.ttl_us = ttl_us
        self._keys: dict[str, tuple[str, int]] = {}

    def key_for(self, nodes: Iterable[str], now_us: int, fresh: str) -> str:
        nodes = list(nodes)
        key = fresh
        for node in nodes:
            known = self._keys.get(node)
            if known is not None and now_us - known[1] <= self.ttl_us:
                key = known[0]
                break
        if len(self._keys) > 4 * len(nodes) + 10_000:
            self._keys = {n: v for n, v in self._keys.items() if now_us - v[1] <= self.ttl_us}
        for node in nodes:
            self._keys[node] = (key, now_us)
        return key


def _evidence(edges: Iterable[Edge]) -> list[tuple[int, str]]:
    return [(e.at, tid) for e in edges for tid in e.txn_ids]


class _GraphDetector(Detector):
    """Shared plumbing: legs -> movements -> a windowed graph -> shape search."""

    def __init__(self, params: object, context: AmlContext | None = None) -> None:
        super().__init__(params, context)
        self.edges = EdgeStream()
        self.graph = EdgeWindow(int(float(getattr(self.params, "window_days", 14.0)) * DAY_US))
        self.nodes = NodeKeys(self.ttl_us())
        self.currency = "USD"
        self._business: set[str] = set()  # business accounts seen (bounded by accounts held)
        self._cited: dict[str, Any] = {}  # first leg id of a movement -> finding key citing it

    def observe(self, txn: Txn) -> list[Finding]:
        if self.context.is_business(txn.customer_id):
            self._business.add(txn.account_id)
        edge = self.edges.push(txn)
        if edge is None:
            return self._mirror(txn)
        self.currency = txn.currency
        self.graph.add(edge)
        if edge.amount < getattr(self.params, "min_amount_minor", 0):
            return []
        return self.on_edge(edge)

    @abstractmethod
    def on_edge(self, edge: Edge) -> list[Finding]:
        """The findings one new money-flow edge creates or extends (the typology's shape)."""

    def _mirror(self, txn: Txn) -> list[Finding]:
        """The second leg of a movement a finding already cites joins its evidence."""
        folded = self.edges.folded
        key = self._cited.get(folded.txn_ids[0]) if folded is not None else None
        if key is None:
            return []
        found = self.book.report(
            key,
            txn.occurred_us,
            accounts=[txn.account_id],
            transactions=[(txn.occurred_us, txn.transaction_id)],
            score=0,
            narrative=self.book.evidence_narrative(key),
        )
        return [found] if found else []

    def conduit(self, node: str) -> bool:
        """Few enough counterparties in the window to be part of a layering shape."""
        return self.graph.degree(node) <= int(getattr(self.params, "max_degree", 10))

    def emit(
        self, nodes: Iterable[str], edges: list[Edge], at: int, score: float, narrative: str
    ) -> list[Finding]:
        nodes = sorted(set(nodes))
        key = self.nodes.key_for(nodes, at, f"{self.typology}:{edges[0].txn_ids[0]}")
        if len(self._cited) > 10_000:
            self._cited.clear()  # mirrors follow their twin at once: only recent ones matter
        for e in edges:
            self._cited[e.txn_ids[0]] = key
        found = self.book.report(
            key,
            at,
            accounts=[n for n in nodes if not n.startswith("name:")],
            transactions=_evidence(edges),
            score=score,
            narrative=narrative,
        )
        return [found] if found else []


def _kept(prev: int, nxt: int, low: float, high: float) -> bool:
    """``nxt`` is what is left of ``prev`` after a hop (a cut or fee taken, no top-up)."""
    return low * prev <= nxt <= high * prev


# -- cycles -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleParams:
    """Round-tripping (see docs/aml.md).

    Attributes:
        window_days: the whole round trip happens within this (a month).
        min_hops / max_hops: cycle lengths searched (2..10 hops: typology reports
            describe 2-6; the search is cheap enough to look further, because every hop
            must pass on most of the previous one, later, within the window).
        min_amount_minor: a hop must move at least this (USD 1,000).
        min_kept / max_kept: each hop passes on this share of the previous one.
        max_degree: nodes with more counterparties are processors, not conduits (high:
            the amount chain already prunes the search; a business can be a hop).
    """

    window_days: float = 30.0
    min_hops: int = 2
    max_hops: int = 10
    min_amount_minor: int = 100_000
    min_kept: float = 0.7
    max_kept: float = 1.05
    max_degree: int = 200


class CycleDetector(_GraphDetector):
    """Money that leaves an account and comes back to it through 1-5 other parties, hop after
    hop in time order, each hop passing on most of the previous one."""

    typology = "cycle"
    params: CycleParams

    def __init__(
        self, params: CycleParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or CycleParams(), context)

    def on_edge(self, edge: Edge) -> list[Finding]:
        origin = edge.dst
        if origin == edge.src or not self.conduit(edge.src):
            return []
        path = self._search(origin, edge)
        if path is None:
            return []
        hops = [*path, edge]
        nodes = [e.src for e in hops]
        share = edge.amount / max(hops[0].amount, 1)
        days = (edge.at - hops[0].at) / DAY_US
        score = 60 + 5 * min(len(hops), 6) + 10 * min(share, 1.0)
        narrative = (
            f"{money(hops[0].amount, self.currency)} left {origin} and "
            f"{money(edge.amount, self.currency)} came back through {len(hops) - 1} other "
            f"part{'y' if len(hops) == 2 else 'ies'} in {days:.1f} days"
        )
        return self.emit(nodes, hops, edge.at, score, narrative)

    def _search(self, origin: str, closing: Edge) -> list[Edge] | None:
        """A time-ordered path origin -> ... -> closing.src whose amounts shrink into closing."""
        p = self.params
        stack: list[tuple[str, list[Edge]]] = [(origin, [])]
        while stack:
            node, path = stack.pop()
            for e in self.graph.out_of(node):
                if e is closing or (path and (e.at < path[-1].at or e.at > closing.at)):
                    continue
                if path and not _kept(path[-1].amount, e.amount, p.min_kept, p.max_kept):
                    continue
                if e.amount < p.min_amount_minor or e.dst == origin:
                    continue
                if any(x.src == e.dst for x in path):
                    continue
                hops = len(path) + 2
                if e.dst == closing.src and hops >= p.min_hops:
                    if _kept(e.amount, closing.amount, p.min_kept, p.max_kept):
                        return [*path, e]
                    continue
                if hops < p.max_hops and self.conduit(e.dst):
                    stack.append((e.dst, [*path, e]))
        return None


# -- scatter-gather and gather-scatter ----------------------------------------


@dataclass(frozen=True, slots=True)
class ScatterGatherParams:
    """One source -> several intermediaries -> one sink (see docs/aml.md).

    Attributes:
        window_days: the split and the gathering happen within this (two weeks).
        min_intermediaries: distinct intermediaries that each pass money on (3).
        min_kept / max_kept: an intermediary forwards this share of what it got.
        min_amount_minor: each movement at least this (USD 100: splits are small).
        max_degree: an intermediary with more counterparties is not a conduit.
    """

    window_days: float = 14.0
    min_intermediaries: int = 3
    min_kept: float = 0.7
    max_kept: float = 1.05
    min_amount_minor: int = 10_000
    max_degree: int = 10


class ScatterGatherDetector(_GraphDetector):
    """A source splits money over intermediaries that each pass it on to one common sink."""

    typology = "scatter_gather"
    params: ScatterGatherParams

    def __init__(
        self, params: ScatterGatherParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or ScatterGatherParams(), context)

    def on_edge(self, edge: Edge) -> list[Finding]:
        p = self.params
        mid, sink = edge.src, edge.dst
        if not self.conduit(mid):
            return []
        for first in self.graph.into_of(mid):
            source = first.src
            if source in (sink, mid) or first.at > edge.at:
                continue
            if not _kept(first.amount, edge.amount, p.min_kept, p.max_kept):
                continue
            legs = self._legs(source, sink, edge.at)
            if len(legs) >= p.min_intermediaries:
                return self._fire(source, sink, legs, edge.at)
        return []

    def _legs(self, source: str, sink: str, now: int) -> dict[str, tuple[Edge, Edge]]:
        """Intermediaries paid by ``source`` that passed most of it to ``sink``."""
        p = self.params
        legs: dict[str, tuple[Edge, Edge]] = {}
        for split in self.graph.out_of(source):
            mid = split.dst
            if mid in legs or mid == sink or not self.conduit(mid):
                continue
            for onward in self.graph.out_of(mid):
                if onward.dst == sink and split.at <= onward.at <= now:
                    if _kept(split.amount, onward.amount, p.min_kept, p.max_kept):
                        legs[mid] = (split, onward)
                        break
        return legs

    def _fire(
        self, source: str, sink: str, legs: dict[str, tuple[Edge, Edge]], at: int
    ) -> list[Finding]:
        edges = [e for pair in legs.values() for e in pair]
        total = sum(pair[1].amount for pair in legs.values())
        score = 65 + 5 * min(len(legs) - self.params.min_intermediaries, 5) + 10
        narrative = (
            f"{source} split money over {len(legs)} intermediaries that passed "
            f"{money(total, self.currency)} on to {sink}"
        )
        return self.emit([source, sink, *legs], edges, at, score, narrative)


@dataclass(frozen=True, slots=True)
class GatherScatterParams:
    """Several sources -> one hub -> several sinks (see docs/aml.md).

    Attributes:
        window_days: gathering and scattering within this (two weeks).
        min_sources / min_sinks: distinct payers into and payees out of the hub (3 each).
        min_out_fraction / max_out_fraction: the hub pays out this share of what it
            gathered (it keeps little and adds nothing of its own).
        min_amount_minor: movements counted from this size (USD 100).
        max_degree: hubs with more counterparties than this are processors, not
            collection points.
        min_total_minor: the gathered sum is material (USD 3,000).
        Business hubs are left out: collecting from customers and paying suppliers is
        what a business account is for (its KYC profile).
    """

    window_days: float = 14.0
    min_sources: int = 3
    min_sinks: int = 3
    min_out_fraction: float = 0.7
    max_out_fraction: float = 1.1
    min_amount_minor: int = 10_000
    max_degree: int = 30
    min_total_minor: int = 300_000


class GatherScatterDetector(_GraphDetector):
    """A hub collects from several parties then pays most of it out to several others."""

    typology = "gather_scatter"
    params: GatherScatterParams

    def __init__(
        self, params: GatherScatterParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or GatherScatterParams(), context)

    def on_edge(self, edge: Edge) -> list[Finding]:
        p = self.params
        hub = edge.src
        if not edge.internal_src or not self.conduit(hub) or hub in self._business:
            return []
        ins = [e for e in self.graph.into_of(hub) if e.amount >= p.min_amount_minor]
        if not ins:
            return []
        start = ins[0].at
        outs = [
            e for e in self.graph.out_of(hub) if e.at >= start and e.amount >= p.min_amount_minor
        ]
        sources = {e.src for e in ins}
        sinks = {e.dst for e in outs} - sources
        if len(sources) < p.min_sources or len(sinks) < p.min_sinks:
            return []
        gathered = sum(e.amount for e in ins)
        paid = sum(e.amount for e in outs if e.dst in sinks)
        if gathered < p.min_total_minor:
            return []
        if not p.min_out_fraction * gathered <= paid <= p.max_out_fraction * gathered:
            return []
        score = 60 + 3 * min(len(sources) + len(sinks) - 6, 10) + 10
        narrative = (
            f"account {hub} gathered {money(gathered, self.currency)} from {len(sources)} "
            f"parties and paid {money(paid, self.currency)} out to {len(sinks)} others"
        )
        used = ins + [e for e in outs if e.dst in sinks]
        return self.emit([hub, *sources, *sinks], used, edge.at, score, narrative)


# -- bipartite and stacked layering -------------------------------------------


def _many_to_many(edges: Iterable[Edge], payers: int = 2, payees: int = 2) -> bool:
    """At least ``payers`` parties pay two or more payees, and at least ``payees`` parties are
    paid by two or more payers (a star, a payroll or side-by-side chains are not)."""
    out: dict[str, set[str]] = {}
    into: dict[str, set[str]] = {}
    for e in edges:
        out.setdefault(e.src, set()).add(e.dst)
        into.setdefault(e.dst, set()).add(e.src)
    multi_out = sum(len(v) >= 2 for v in out.values())
    multi_in = sum(len(v) >= 2 for v in into.values())
    return multi_out >= payers and multi_in >= payees


@dataclass(frozen=True, slots=True)
class BipartiteParams:
    """A set of payers pays a set of payees, many to many (see docs/aml.md).

    Attributes:
        window_days: the block forms within this (ten days).
        min_sources / min_sinks: at least this many on each side (2).
        min_nodes: the block has at least this many parties (5: smaller blocks are
            households — two parents paying two children).
        min_amount_minor: movements counted from this size (USD 100).
        max_degree: parties with more counterparties are not layers.
    """

    window_days: float = 10.0
    min_sources: int = 2
    min_sinks: int = 2
    min_nodes: int = 5
    min_amount_minor: int = 10_000
    max_degree: int = 6


class BipartiteDetector(_GraphDetector):
    """A block of payers and payees with no party on both sides, densely connected."""

    typology = "bipartite"
    params: BipartiteParams

    def __init__(
        self, params: BipartiteParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or BipartiteParams(), context)

    def on_edge(self, edge: Edge) -> list[Finding]:
        p = self.params
        if not (self.conduit(edge.src) and self.conduit(edge.dst)):
            return []
        sinks = {edge.dst}
        sources = {edge.src}
        for _ in range(2):  # grow the block two steps out from the new movement
            sinks |= {e.dst for s in sources for e in self._out(s)}
            sources |= {e.src for t in sinks for e in self._in(t)}
        if sources & sinks or len(sources) < p.min_sources or len(sinks) < p.min_sinks:
            return []
        if len(sources) + len(sinks) < p.min_nodes:
            return []
        edges = [e for s in sources for e in self._out(s) if e.dst in sinks]
        if not self._dense(edges):
            return []
        total = sum(e.amount for e in edges)
        score = 60 + 3 * min(len(edges), 10)
        narrative = (
            f"{len(sources)} payers paid {len(sinks)} payees {money(total, self.currency)} "
            f"in {len(edges)} movements with no party on both sides"
        )
        return self.emit(sources | sinks, edges, edge.at, score, narrative)

    def _dense(self, edges: list[Edge]) -> bool:
        return _many_to_many(edges, self.params.min_sources, self.params.min_sinks)

    def _out(self, node: str) -> list[Edge]:
        if not self.conduit(node):
            return []
        return [
            e
            for e in self.graph.out_of(node)
            if e.amount >= self.params.min_amount_minor and self.conduit(e.dst)
        ]

    def _in(self, node: str) -> list[Edge]:
        if not self.conduit(node):
            return []
        return [
            e
            for e in self.graph.into_of(node)
            if e.amount >= self.params.min_amount_minor and self.conduit(e.src)
        ]


@dataclass(frozen=True, slots=True)
class StackedParams:
    """Layers in sequence: layer 1 pays layer 2, which later pays layer 3 (see docs/aml.md).

    Attributes:
        window_days: the layers form within this (three weeks).
        min_layer: at least this many parties in each of the three layers (2).
        min_amount_minor: movements counted from this size (USD 100).
        max_degree: parties with more counterparties are not layers.
    """

    window_days: float = 21.0
    min_layer: int = 2
    min_amount_minor: int = 10_000
    max_degree: int = 6


class StackedLayeringDetector(_GraphDetector):
    """Three disjoint layers of parties where money moves layer 1 -> 2 -> 3 in time order."""

    typology = "stacked_layering"
    params: StackedParams

    def __init__(
        self, params: StackedParams | None = None, context: AmlContext | None = None
    ) -> None:
        super().__init__(params or StackedParams(), context)

    def on_edge(self, edge: Edge) -> list[Finding]:
        mid = edge.src
        if not (self.conduit(mid) and self.conduit(edge.dst)):
            return []
        feeders = {e.src for e in self._fed(mid)}
        if not feeders:
            return []
        middles = {mid}
        middles |= {e.dst for f in feeders for e in self._edges_out(f)}
        middles |= {e.src for e in self._edges_in(edge.dst)}
        middles = {m for m in middles if self._fed(m) and self._passes(m)}
        first = {e.src for m in middles for e in self._fed(m)}
        third = {e.dst for m in middles for e in self._passes(m)}
        p = self.params
        if first & middles or third & middles or first & third:
            return []
        if min(len(first), len(middles), len(third)) < p.min_layer:
            return []
        fed = [e for m in middles for e in self._fed(m)]
        passed = [e for m in middles for e in self._passes(m)]
        if not any(
            _many_to_many(layer, 1, 0) or _many_to_many(layer, 0, 1) for layer in (fed, passed)
        ):
            return []  # chains side by side (salary then rent), not layers
        edges = fed + passed
        score = 65 + 3 * min(len(middles) + len(first) + len(third) - 6, 10)
        narrative = (
            f"money moved through three layers: {len(first)} payers -> {len(middles)} "
            f"intermediaries -> {len(third)} payees in {len(edges)} movements"
        )
        return self.emit(first | middles | third, edges, edge.at, score, narrative)

    def _edges_out(self, node: str) -> list[Edge]:
        return [
            e
            for e in self.graph.out_of(node)
            if e.amount >= self.params.min_amount_minor and self.conduit(e.dst)
        ]

    def _edges_in(self, node: str) -> list[Edge]:
        return [
            e
            for e in self.graph.into_of(node)
            if e.amount >= self.params.min_amount_minor and self.conduit(e.src)
        ]

    def _fed(self, node: str) -> list[Edge]:
        """Movements into ``node`` that came before some movement out of it."""
        outs = self._edges_out(node)
        if not outs:
            return []
        last = max(e.at for e in outs)
        return [e for e in self._edges_in(node) if e.at < last]

    def _passes(self, node: str) -> list[Edge]:
        """Movements out of ``node`` after it was fed."""
        ins = self._edges_in(node)
        if not ins:
            return []
        first = min(e.at for e in ins)
        return [e for e in self._edges_out(node) if e.at > first]


__all__ = [
    "BipartiteDetector",
    "BipartiteParams",
    "CycleDetector",
    "CycleParams",
    "GatherScatterDetector",
    "GatherScatterParams",
    "NodeKeys",
    "ScatterGatherDetector",
    "ScatterGatherParams",
    "StackedLayeringDetector",
    "StackedParams",
]
