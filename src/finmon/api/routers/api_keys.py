"""API keys for machine clients: create (shown once), list, rotate, revoke (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from finmon.api.auth.apikeys import ApiKey
from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import audit_action, idempotent
from finmon.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/api-keys", tags=["api-keys"])
Admin = Annotated[Principal, Depends(require("api_keys:manage"))]
KeyId = Annotated[str, Path(min_length=1, max_length=64)]


def _public(key: ApiKey) -> dict[str, Any]:
    return ApiKeyPublic(
        id=key.id,
        name=key.name,
        role=key.role,
        scopes=sorted(key.scopes),
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    ).model_dump(mode="json")


@router.post("", status_code=201, response_model=ApiKeyCreated, summary="Create an API key")
def create_key(
    request: Request, ctx: Ctx, principal: Admin, body: ApiKeyCreate, key: IdempotencyKey = None
) -> Response:
    def work() -> tuple[int, Any]:
        created, plaintext = ctx.auth.keys.create(
            body.name, body.role, frozenset(body.scopes), principal.subject, body.expires_at
        )
        audit_action(ctx, request, principal, "api_key_created", created.id)
        return 201, {**_public(created), "key": plaintext}

    return idempotent(ctx, request, principal, key, body, work)


@router.get("", response_model=list[ApiKeyPublic], summary="List API keys (never the secrets)")
def list_keys(ctx: Ctx, principal: Admin) -> Any:
    return [_public(k) for k in ctx.auth.keys.all()]


@router.post("/{key_id}/rotate", response_model=ApiKeyCreated, summary="New secret, old one dies")
def rotate_key(request: Request, ctx: Ctx, principal: Admin, key_id: KeyId) -> Any:
    rotated, plaintext = ctx.auth.keys.rotate(key_id)
    audit_action(ctx, request, principal, "api_key_rotated", key_id)
    return {**_public(rotated), "key": plaintext}


@router.delete("/{key_id}", response_model=ApiKeyPublic, summary="Revoke an API key")
def revoke_key(request: Request, ctx: Ctx, principal: Admin, key_id: KeyId) -> Any:
    revoked = ctx.auth.keys.revoke(key_id)
    audit_action(ctx, request, principal, "api_key_revoked", key_id)
    return _public(revoked)


__all__ = ["router"]
