"""Entity resolution: customers who are probably connected, because they share something.

Two customers on the same device, phone, home address or email are linked
(*strong* attributes: one is enough). IP addresses and outside counterparties
are *weak*: households, offices and mobile carriers share IPs, and many people
pay the same landlord or plumber, so a weak link needs ``min_weak`` (2) such
attributes in common. Linked customers form a cluster (transitively: A shares
a device with B, B a phone with C). Each cluster carries its evidence: every
shared attribute and which of the cluster's customers share it, so an analyst
sees *why*, not just a score. (Without the weak rule, on the simulated bank
chains of shared IPs and counterparties merge most customers into one
meaningless cluster.)

An attribute shared by very many customers identifies nobody: a mobile
carrier's NAT address, a café's Wi-Fi, a utility's IBAN that half the bank
pays. Attributes with more than ``max_share`` customers are therefore ignored
(and listed in :attr:`Resolution.ignored`, so the cut is visible).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from finmon.aml.graph.model import TransactionGraph
from finmon.core.errors import ValidationError

ATTRIBUTE_KINDS = ("device", "ip", "phone", "address", "email", "counterparty")
WEAK_KINDS = frozenset({"ip", "counterparty"})


@dataclass(frozen=True, slots=True)
class SharedAttribute:
    """One piece of evidence: an attribute node and the customers of the cluster who share it."""

    attribute: str
    kind: str
    customers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomerCluster:
    """Customers linked by shared attributes, with the evidence."""

    customers: tuple[str, ...]
    evidence: tuple[SharedAttribute, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    clusters: tuple[CustomerCluster, ...]
    ignored: tuple[tuple[str, int], ...]  # (attribute, customers) over max_share


def _owners(graph: TransactionGraph) -> dict[int, set[int]]:
    """account node -> the customers who own it."""
    owners: dict[int, set[int]] = {}
    for edge in range(graph.edge_count):
        src, dst, relation = graph.edge_ends(edge)
        if relation == "owns":
            owners.setdefault(dst, set()).add(src)
    return owners


def _attributes_of(graph: TransactionGraph, wanted: set[str]) -> dict[int, set[int]]:
    """attribute node -> customers linked to it (directly, or through an account they own).

    Money counts both ways: paying an outside account and being paid by it.
    """
    owners = _owners(graph)
    linked: dict[int, set[int]] = {}
    for edge in range(graph.edge_count):
        src, dst, relation = graph.edge_ends(edge)
        if relation == "owns":
            continue
        for holder, attribute in ((src, dst), (dst, src)) if relation == "pays" else ((src, dst),):
            if graph.kind(attribute) not in wanted:
                continue
            kind = graph.kind(holder)
            customers = {holder} if kind == "customer" else owners.get(holder, set())
            if customers:
                linked.setdefault(attribute, set()).update(customers)
    return linked


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _link(
    graph: TransactionGraph, shared: list[tuple[int, list[int]]], min_weak: int
) -> _UnionFind:
    """Union customers: all members of a strong attribute; pairs with ``min_weak`` weak ones."""
    links = _UnionFind()
    weak_pairs: dict[tuple[int, int], int] = {}
    for attribute, members in shared:
        if graph.kind(attribute) in WEAK_KINDS:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    weak_pairs[(a, b)] = weak_pairs.get((a, b), 0) + 1
        else:
            for other in members[1:]:
                links.union(members[0], other)
    for (a, b), count in weak_pairs.items():
        if count >= min_weak:
            links.union(a, b)
    return links


def _clusters(
    graph: TransactionGraph, shared: list[tuple[int, list[int]]], min_weak: int
) -> list[CustomerCluster]:
    """One cluster per linked group of two or more, with the attributes it shares as evidence."""
    links = _link(graph, shared, min_weak)
    evidence: dict[int, list[SharedAttribute]] = {}
    for attribute, members in shared:
        by_root: dict[int, list[int]] = {}
        for customer in members:
            by_root.setdefault(links.find(customer), []).append(customer)
        for root, inside in by_root.items():
            if len(inside) >= 2:
                keys = tuple(sorted(graph.key(c) for c in inside))
                item = SharedAttribute(graph.key(attribute), graph.kind(attribute), keys)
                evidence.setdefault(root, []).append(item)
    clusters = []
    for items in evidence.values():
        customers = sorted({c for item in items for c in item.customers})
        if len(customers) < 2:
            continue
        items.sort(key=lambda item: item.attribute)
        clusters.append(CustomerCluster(tuple(customers), tuple(items)))
    clusters.sort(key=lambda c: (-len(c.customers), c.customers))
    return clusters


def resolve_entities(
    graph: TransactionGraph,
    *,
    kinds: Iterable[str] = ATTRIBUTE_KINDS,
    max_share: int = 10,
    min_weak: int = 2,
) -> Resolution:
    """Clusters of two or more customers linked by shared attributes (module docstring)."""
    wanted = set(kinds)
    unknown = wanted - set(ATTRIBUTE_KINDS)
    if unknown:
        raise ValidationError(
            f"unknown attribute kind(s) {sorted(unknown)}; known: {', '.join(ATTRIBUTE_KINDS)}",
            field="kinds",
        )
    if max_share < 2:
        raise ValidationError("max_share must be at least 2", field="max_share")
    if min_weak < 1:
        raise ValidationError("min_weak must be at least 1", field="min_weak")
    shared: list[tuple[int, list[int]]] = []
    ignored: list[tuple[str, int]] = []
    for attribute, customers in _attributes_of(graph, set(wanted)).items():
        if len(customers) > max_share:
            ignored.append((graph.key(attribute), len(customers)))
        elif len(customers) >= 2:
            shared.append((attribute, sorted(customers)))
    clusters = _clusters(graph, shared, min_weak)
    return Resolution(tuple(clusters), tuple(sorted(ignored, key=lambda x: (-x[1], x[0]))))


__all__ = [
    "ATTRIBUTE_KINDS",
    "CustomerCluster",
    "Resolution",
    "SharedAttribute",
    "resolve_entities",
]
