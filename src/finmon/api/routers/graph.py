"""/v1/graph: the transaction graph of what this app received (:mod:`finmon.aml.graph`).

The graph is built from the ``transaction.received`` events in the app's log:
lazily on the first question, then each question first adds the events
appended since (see :class:`finmon.api.aml.GraphService`), so an answer
reflects every transaction stored before it was asked. Nodes are typed keys
(``account:AC1``, ``counterparty:GB29…``, ``customer:C1``, ``merchant:M1``,
``device:D9``, ``ip:10.0.0.1``); edges carry their counts, totals in minor
units and the transaction ids that are their evidence (the first
``MAX_TX_IDS`` per edge; ``transaction_ids_truncated`` says when there are
more).

Counterparty accounts, devices, IP addresses, addresses, phones and e-mails
are personal data: for roles without ``pii:read`` their ids are masked in the
answer (``ip:****01``), like the same fields of a transaction. An unknown key
is a 404 naming the parameter (``key``, ``source``, ``target``), a malformed
one a 422.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from finmon.api.aml_schemas import (
    CommunitiesOut,
    CyclesOut,
    EntitiesOut,
    NeighbourhoodOut,
    PathOut,
)
from finmon.api.deps import Ctx, require
from finmon.api.masking import mask_value
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.core.errors import NotFoundError, ValidationError

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/graph", tags=["graph"])
Reader = Annotated[Principal, Depends(require("graph:read"))]
MAX_TX_IDS = 100
PII_KINDS = frozenset({"counterparty", "device", "ip", "address", "phone", "email"})
Key = Annotated[
    str,
    Query(
        min_length=3,
        max_length=300,
        description="a node key kind:id, e.g. account:AC1",
        examples=["account:AC1"],
    ),
]
Relation = Literal["pays", "owns", "uses", "has"]


def _masker(principal: Principal) -> Any:
    see = principal.may("pii:read")

    def key(value: str) -> str:
        kind, _, ident = value.partition(":")
        if see or kind not in PII_KINDS:
            return value
        return f"{kind}:{mask_value(ident)}"

    return key


def _edge(edge: Any, key: Any) -> dict[str, Any]:
    ids = list(edge.transaction_ids)
    return {
        "source": key(edge.source),
        "target": key(edge.target),
        "relation": edge.relation,
        "currency": edge.currency,
        "count": edge.count,
        "total_minor": edge.total_minor,
        "first_at": None if edge.first_at is None else edge.first_at.isoformat(),
        "last_at": None if edge.last_at is None else edge.last_at.isoformat(),
        "transaction_ids": ids[:MAX_TX_IDS],
        "transaction_ids_truncated": len(ids) > MAX_TX_IDS,
    }


def _node(value: str, key: Any, distance: int | None = None) -> dict[str, Any]:
    return {"key": key(value), "kind": value.partition(":")[0], "distance": distance}


def _info(ctx: Any) -> dict[str, Any]:
    state = ctx.graph.state()
    return {
        "as_of_seq": state.last_seq,
        "transactions": state.transactions,
        "skipped": state.skipped,
        "nodes": state.nodes,
        "edges": state.edges,
    }


@router.get(
    "/neighbourhood",
    response_model=NeighbourhoodOut,
    summary="Everything within `hops` of a node, with the edges and their transaction ids",
)
def get_neighbourhood(
    ctx: Ctx,
    principal: Reader,
    key: Key,
    hops: Annotated[int, Query(ge=0, le=6)] = 2,
    max_nodes: Annotated[int, Query(ge=1, le=2000)] = 200,
    relation: Annotated[list[Relation] | None, Query(max_length=4)] = None,
) -> Any:
    from finmon.aml.graph import neighbourhood

    try:
        sub = ctx.graph.query(
            lambda g: neighbourhood(g, key, hops=hops, max_nodes=max_nodes, relations=relation)
        )
    except (NotFoundError, ValidationError) as exc:  # the library calls its argument "keys"
        if exc.field != "keys":
            raise
        raise type(exc)(exc.message, field="key", code=exc.code) from None
    mask = _masker(principal)
    return {
        "center": mask(key),
        "hops": hops,
        "truncated": sub.truncated,
        "nodes": [_node(n, mask, d) for n, d in sub.distance.items()],
        "edges": [_edge(e, mask) for e in sub.edges],
        "graph": _info(ctx),
    }


@router.get(
    "/path",
    response_model=PathOut,
    summary="A shortest path between two nodes and the edges (transaction ids) along it",
)
def get_path(
    ctx: Ctx,
    principal: Reader,
    source: Key,
    target: Key,
    directed: Annotated[
        bool, Query(description="follow edge direction (with relation=pays: money flow)")
    ] = False,
    relation: Annotated[list[Relation] | None, Query(max_length=4)] = None,
) -> Any:
    from finmon.aml.graph import shortest_path

    found = ctx.graph.query(
        lambda g: shortest_path(g, source, target, relations=relation, directed=directed)
    )
    mask = _masker(principal)
    return {
        "source": mask(source),
        "target": mask(target),
        "found": found is not None,
        "length": None if found is None else found.length,
        "nodes": [] if found is None else [_node(n, mask) for n in found.nodes],
        "edges": [] if found is None else [_edge(e, mask) for e in found.edges],
        "graph": _info(ctx),
    }


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _cycle(cycle: Any, key: Any) -> dict[str, Any]:
    return {
        "origin": key(cycle.origin),
        "nodes": [key(n) for n in cycle.nodes],
        "accounts": [key(a) for a in cycle.accounts],
        "occurrences": cycle.occurrences,
        "start": _iso(cycle.start),
        "end": _iso(cycle.end),
        "hops": [
            {
                "source": key(h.source),
                "target": key(h.target),
                "at": _iso(h.at),
                "amount_minor": h.amount_minor,
                "currency": h.currency,
                "transaction_ids": list(h.transaction_ids),
            }
            for h in cycle.hops
        ],
        "transaction_ids": list(cycle.transaction_ids),
    }


@router.get(
    "/cycles",
    response_model=CyclesOut,
    summary="Time-respecting cycles: money that left an account and came back, hop by hop",
)
def get_cycles(
    ctx: Ctx,
    principal: Reader,
    max_length: Annotated[int, Query(ge=2, le=12, description="most hops")] = 6,
    window_days: Annotated[int, Query(ge=1, le=366, description="whole cycle within")] = 30,
    origin: Annotated[
        str | None,
        Query(min_length=3, max_length=300, description="only cycles starting at this account"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="most cycles returned")] = 100,
) -> Any:
    from finmon.aml.graph import find_cycles

    origins = None if origin is None else [origin]
    try:
        found = ctx.graph.query(
            lambda g: find_cycles(
                g,
                max_length=max_length,
                window=timedelta(days=window_days),
                origins=origins,
                max_cycles=limit + 1,
            )
        )
    except (NotFoundError, ValidationError) as exc:  # the library calls it "origins"
        if exc.field not in {"origins", "keys"}:
            raise
        raise type(exc)(exc.message, field="origin", code=exc.code) from None
    mask = _masker(principal)
    return {
        "cycles": [_cycle(c, mask) for c in found[:limit]],
        "truncated": len(found) > limit,
        "graph": _info(ctx),
    }


@router.get(
    "/communities",
    response_model=CommunitiesOut,
    summary="Communities of the money-flow graph (Leiden or Louvain), largest first",
)
def get_communities(
    ctx: Ctx,
    principal: Reader,
    method: Literal["leiden", "louvain"] = "leiden",
    min_size: Annotated[int, Query(ge=2, le=100_000)] = 3,
    limit: Annotated[int, Query(ge=1, le=500, description="most communities returned")] = 50,
    max_members: Annotated[
        int, Query(ge=1, le=2000, description="most members listed per community")
    ] = 100,
) -> Any:
    from finmon.aml.graph import communities

    found = ctx.graph.query(lambda g: communities(g, method=method, min_size=min_size))
    mask = _masker(principal)
    return {
        "method": method,
        "total": len(found),
        "truncated": len(found) > limit,
        "communities": [
            {
                "size": len(members),
                "members": [mask(m) for m in members[:max_members]],
                "members_truncated": len(members) > max_members,
            }
            for members in found[:limit]
        ],
        "graph": _info(ctx),
    }


Attribute = Literal["device", "ip", "phone", "address", "email", "counterparty"]


@router.get(
    "/entities",
    response_model=EntitiesOut,
    summary="Customers linked by shared attributes (entity resolution), with the evidence",
)
def get_entities(
    ctx: Ctx,
    principal: Reader,
    kind: Annotated[
        list[Attribute] | None, Query(max_length=6, description="attribute kinds (default all)")
    ] = None,
    max_share: Annotated[
        int, Query(ge=2, le=1000, description="ignore attributes shared by more customers")
    ] = 10,
    min_weak: Annotated[
        int, Query(ge=1, le=10, description="weak attributes (ip, counterparty) needed to link")
    ] = 2,
    limit: Annotated[int, Query(ge=1, le=1000, description="most clusters returned")] = 100,
) -> Any:
    from finmon.aml.graph import ATTRIBUTE_KINDS, resolve_entities

    kinds = tuple(kind) if kind else ATTRIBUTE_KINDS
    found = ctx.graph.query(
        lambda g: resolve_entities(g, kinds=kinds, max_share=max_share, min_weak=min_weak)
    )
    mask = _masker(principal)
    clusters = found.clusters
    return {
        "total": len(clusters),
        "truncated": len(clusters) > limit,
        "clusters": [
            {
                "customers": [mask(c) for c in cluster.customers],
                "evidence": [
                    {
                        "attribute": mask(e.attribute),
                        "kind": e.kind,
                        "customers": [mask(c) for c in e.customers],
                    }
                    for e in cluster.evidence
                ],
            }
            for cluster in clusters[:limit]
        ],
        "ignored": [{"attribute": mask(a), "customers": n} for a, n in found.ignored[:limit]],
        "graph": _info(ctx),
    }


__all__ = ["router"]
