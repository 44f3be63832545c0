"""Webhook endpoints (admins): register, list, rotate the secret, delete. Storage only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import audit_action, idempotent
from finmon.api.schemas import WebhookCreate, WebhookCreated, WebhookPublic

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/webhooks", tags=["webhooks"])
Admin = Annotated[Principal, Depends(require("webhooks:manage"))]
HookId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=201, response_model=WebhookCreated, summary="Register an endpoint")
def register(
    request: Request, ctx: Ctx, principal: Admin, body: WebhookCreate, key: IdempotencyKey = None
) -> Response:
    def work() -> tuple[int, Any]:
        hook, secret = ctx.webhooks.register(
            body.url, body.events, body.description, principal.subject
        )
        audit_action(ctx, request, principal, "webhook_registered", hook.id)
        return 201, {**asdict(hook), "secret": secret}

    return idempotent(ctx, request, principal, key, body, work)


@router.get("", response_model=list[WebhookPublic], summary="List endpoints (never secrets)")
def list_hooks(ctx: Ctx, principal: Admin) -> Any:
    return [asdict(h) for h in ctx.webhooks.all()]


@router.post(
    "/{webhook_id}/rotate",
    response_model=WebhookCreated,
    summary="New signing secret; the previous stays valid until the next rotation",
)
def rotate(request: Request, ctx: Ctx, principal: Admin, webhook_id: HookId) -> Any:
    hook, secret = ctx.webhooks.rotate(webhook_id)
    audit_action(ctx, request, principal, "webhook_rotated", webhook_id)
    return {**asdict(hook), "secret": secret}


@router.delete("/{webhook_id}", status_code=204, summary="Delete an endpoint")
def delete(request: Request, ctx: Ctx, principal: Admin, webhook_id: HookId) -> Response:
    ctx.webhooks.delete(webhook_id)
    audit_action(ctx, request, principal, "webhook_deleted", webhook_id)
    return Response(status_code=204)


__all__ = ["router"]
