"""/v1/aml: the findings of the AML typology detectors over what this app received.

Every ``transaction.received`` event in the app's log is streamed, in log
(arrival) order, through the default detectors of :mod:`finmon.aml.detectors`
(structuring, rapid movement, fan-in/out, cycles, scatter-gather, bipartite,
stacked layering, mule networks, dormant reactivation, high-risk
jurisdictions, sanctioned counterparties); see
:class:`finmon.api.aml.FindingsService`. Like the graph, the detectors read the
log lazily on the first question and then only the events appended since, so
an answer reflects every transaction stored before it was asked. A finding
that later evidence extends keeps its id; the latest version is shown.

The app holds no customer or account reference data, so the detectors run
with the default context (no declared income, account opening dates or dormant
flags: the detectors that need them stay quiet). Counterparty names are
screened by the app's screener over the lists active when the transaction is
read; with no list loaded the sanctions detector finds nothing.

Findings name accounts and transactions (not personal data in this API, as
in the graph) and a narrative; an unknown ``finding_id`` is a 404 naming it,
an unknown ``typology`` a 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from finmon.api.aml_schemas import FindingDetailOut, FindingsOut
from finmon.api.deps import Ctx, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.core.errors import NotFoundError, ValidationError
from finmon.sources.typologies import AML_TYPOLOGIES

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/aml", tags=["aml"])
Reader = Annotated[Principal, Depends(require("aml:read"))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such finding", "content": {"application/problem+json": {}}}
}


def _iso(micros: int) -> str:
    from finmon.monitor.transaction import from_micros

    return from_micros(micros).isoformat().replace("+00:00", "Z")


def finding_out(found: Any) -> dict[str, Any]:
    """A :class:`~finmon.aml.detectors.Finding` as the API shows it (times ISO-8601 UTC)."""
    return {
        "finding_id": found.finding_id,
        "typology": found.typology,
        "score": found.score,
        "account_ids": list(found.account_ids),
        "transaction_ids": list(found.transaction_ids),
        "first_event_at": _iso(found.first_event_at),
        "detected_at": _iso(found.detected_at),
        "updated_at": _iso(found.updated_at),
        "narrative": found.narrative,
        "parameters": dict(found.parameters),
    }


def _state(state: Any) -> dict[str, Any]:
    return {
        "as_of_seq": state.last_seq,
        "transactions": state.transactions,
        "skipped": state.skipped,
        "findings": state.findings,
    }


@router.get(
    "/findings",
    response_model=FindingsOut,
    summary="AML typology findings over the received transactions, most recent first",
)
def list_findings(
    ctx: Ctx,
    principal: Reader,
    typology: Annotated[
        str | None,
        Query(max_length=64, description="only this typology (one of the AML typologies)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    if typology is not None and typology not in AML_TYPOLOGIES:
        raise ValidationError(
            f"unknown typology {typology!r}; one of {', '.join(AML_TYPOLOGIES)}",
            field="typology",
        )
    found, state = ctx.findings.findings()
    if typology is not None:
        found = [f for f in found if f.typology == typology]
    return {
        "total": len(found),
        "truncated": len(found) > limit,
        "findings": [finding_out(f) for f in found[:limit]],
        "detectors": _state(state),
    }


@router.get(
    "/findings/{finding_id}",
    response_model=FindingDetailOut,
    responses=NOT_FOUND,
    summary="One finding: typology, score, accounts, transactions, times and narrative",
)
def get_finding(
    ctx: Ctx,
    principal: Reader,
    finding_id: Annotated[str, Path(min_length=1, max_length=200)],
) -> Any:
    found, state = ctx.findings.get(finding_id)
    if found is None:
        raise NotFoundError(f"no finding {finding_id}", field="finding_id")
    return {**finding_out(found), "detectors": _state(state)}


__all__ = ["finding_out", "router"]
