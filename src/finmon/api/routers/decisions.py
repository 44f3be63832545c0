"""GET /v1/decisions (recent, by outcome) and /v1/decisions/{transaction_id}.

Decisions are what the engine answered, as stored in
``<data_dir>/monitor/decisions.db`` (one row per transaction, first decision
wins), whether the API or the streaming pipeline made them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam

from finmon.api.deps import Ctx, require
from finmon.api.monitor_schemas import DecisionOut, DecisionPage
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.core.errors import NotFoundError
from finmon.monitor.decision import Outcome
from finmon.monitor.transaction import from_micros

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/decisions", tags=["decisions"])
Reader = Annotated[Principal, Depends(require("decisions:read"))]


def decision_out(record: Any) -> dict[str, Any]:
    """A :class:`~finmon.monitor.pipeline.store.StoredDecision` as :class:`DecisionOut`."""
    d = record.decision
    return {
        "transaction_id": d.transaction_id,
        "score": d.score,
        "outcome": d.outcome,
        "degraded": d.degraded,
        "reasons": [r.to_dict() for r in d.reasons],
        "rule_hits": list(d.rule_hits),
        "model_probability": d.model_probability,
        "model_version": d.model_version,
        "ruleset_version": d.ruleset_version,
        "challenger_probability": d.challenger_probability,
        "alert_id": d.alert_id,
        "tags": list(d.tags),
        "occurred_at": _iso(d.occurred_us),
        "decided_at": _iso(record.decided_at_us),
        "latency_us": d.latency_us,
    }


def _iso(micros: int) -> str:
    return from_micros(micros).isoformat().replace("+00:00", "Z")


@router.get("", response_model=DecisionPage, summary="The most recent decisions, newest first")
def list_decisions(
    ctx: Ctx,
    principal: Reader,
    outcome: Annotated[Literal["approve", "review", "block"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Any:
    wanted: Outcome | None = outcome
    return {"items": [decision_out(r) for r in ctx.monitoring.recent(limit, wanted)]}


@router.get(
    "/{transaction_id}",
    response_model=DecisionOut,
    summary="The decision on one transaction: score, outcome, reasons, versions",
)
def get_decision(
    ctx: Ctx,
    principal: Reader,
    transaction_id: Annotated[str, PathParam(min_length=1, max_length=128)],
) -> Any:
    record = ctx.monitoring.decision(transaction_id)
    if record is None:
        raise NotFoundError(
            f"no decision on transaction {transaction_id!r}", field="transaction_id"
        )
    return decision_out(record)


__all__ = ["decision_out", "router"]
