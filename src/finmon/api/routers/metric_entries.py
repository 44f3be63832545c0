"""POST/GET /v1/metrics-entries: seed 000's manually entered custom metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.metric_entries import NAME_PATTERN, metric
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import idempotent
from finmon.api.schemas import MetricEntryAccepted, MetricEntryCreate, MetricEntryPage

router = APIRouter(
    responses=COMMON_RESPONSES, prefix="/v1/metrics-entries", tags=["metrics-entries"]
)
Writer = Annotated[Principal, Depends(require("metrics:write"))]
Reader = Annotated[Principal, Depends(require("metrics:read"))]


@router.post("", status_code=201, response_model=MetricEntryAccepted, summary="Record a value")
def record(
    request: Request,
    ctx: Ctx,
    principal: Writer,
    body: MetricEntryCreate,
    key: IdempotencyKey = None,
) -> Response:
    def work() -> tuple[int, Any]:
        entry = metric(**body.model_dump(), entered_by=principal.name)
        event_id, seq = ctx.metric_entries.record(entry, str(request.state.correlation_id))
        return 201, {"event_id": event_id, "seq": seq}

    return idempotent(ctx, request, principal, key, body, work)


@router.get("", response_model=MetricEntryPage, summary="Entries after a sequence number")
def list_entries(
    ctx: Ctx,
    principal: Reader,
    name: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    items = list(ctx.metric_entries.list(name=name, after_seq=after_seq, limit=limit))
    return {"items": items, "next_after_seq": items[-1]["seq"] if len(items) == limit else None}


__all__ = ["router"]
