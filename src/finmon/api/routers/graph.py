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

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from finmon.api.aml_schemas import NeighbourhoodOut, PathOut
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


__all__ = ["router"]
