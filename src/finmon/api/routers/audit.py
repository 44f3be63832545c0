"""GET /v1/audit: the audit trail (auditors only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from finmon.api.deps import Ctx, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.schemas import AuditPage

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require("audit:read"))]


@router.get("", response_model=AuditPage, summary="Audit entries after a sequence number")
def list_audit(
    ctx: Ctx,
    principal: Auditor,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Annotated[str | None, Query(max_length=128)] = None,
) -> Any:
    items = list(ctx.audit.entries(after_seq=after_seq, limit=limit, actor=actor))
    return {"items": items, "next_after_seq": items[-1]["seq"] if len(items) == limit else None}


__all__ = ["router"]
