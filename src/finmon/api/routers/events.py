"""GET /v1/events (the log, paged) and GET /v1/events/verify (auditors and admins)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query

from finmon.api.deps import Ctx, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import event_out
from finmon.api.schemas import EventPage, VerifyPublic

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/events", tags=["events"])
Reader = Annotated[Principal, Depends(require("events:read"))]
Verifier = Annotated[Principal, Depends(require("events:verify"))]


@router.get("", response_model=EventPage, summary="Events after a sequence number (or the tail)")
def list_events(
    ctx: Ctx,
    principal: Reader,
    after_seq: Annotated[
        int | None, Query(ge=0, le=2**62, description="omit for the newest")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    event_type: Annotated[str | None, Query(alias="type", max_length=100)] = None,
) -> Any:
    head = ctx.log.head().seq
    start = max(1, head - limit + 1) if after_seq is None else after_seq + 1
    items: list[dict[str, Any]] = []
    last = start - 1
    for record in ctx.log.read(start) if start <= head else ():
        last = record.seq
        event = orjson.loads(record.body)
        if event_type is None or event["type"] == event_type:
            items.append(event_out(record.seq, event, principal))
        if len(items) >= limit:
            break
    more = last < head
    return {"items": items, "next_after_seq": last if more else None, "head_seq": head}


@router.get("/verify", response_model=VerifyPublic, summary="Verify the hash chain and checkpoints")
def verify(ctx: Ctx, principal: Verifier) -> Any:
    report = ctx.log.verify(workers=1)
    return {"ok": report.ok, "report": report.to_dict()}


__all__ = ["router"]
