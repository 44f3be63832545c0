"""Users administration (admins): create (TOTP secret shown once), list, update."""

from __future__ import annotations

from typing import Annotated, Any

import pyotp
from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from finmon.api.auth.users import User
from finmon.api.deps import Ctx, IdempotencyKey, caller_of, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import idempotent
from finmon.api.schemas import UserCreate, UserCreated, UserPublic, UserUpdate

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/users", tags=["users"])
Admin = Annotated[Principal, Depends(require("users:manage"))]
UserId = Annotated[str, Path(min_length=1, max_length=64)]


def user_public(ctx: Any, user: User) -> dict[str, Any]:
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,
        disabled=user.disabled,
        locked=ctx.auth.users.is_locked(user),
        created_at=user.created_at,
    ).model_dump(mode="json")


def totp_uri(username: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="finmon")


@router.post("", status_code=201, response_model=UserCreated, summary="Create a user")
def create_user(
    request: Request, ctx: Ctx, principal: Admin, body: UserCreate, key: IdempotencyKey = None
) -> Response:
    def work() -> tuple[int, Any]:
        user, secret = ctx.auth.users.create(body.username, body.role, body.password)
        caller = caller_of(request)
        ctx.audit.record(
            "user_created",
            actor=principal.subject,
            actor_name=principal.name,
            outcome="success",
            target=user.id,
            client_ip=caller.client_ip,
            correlation_id=caller.correlation_id,
            details={"role": user.role.value},
        )
        uri = totp_uri(user.username, secret)
        return 201, {**user_public(ctx, user), "totp_secret": secret, "totp_uri": uri}

    return idempotent(ctx, request, principal, key, body, work)


@router.get("", response_model=list[UserPublic], summary="List users")
def list_users(ctx: Ctx, principal: Admin) -> Any:
    return [user_public(ctx, u) for u in ctx.auth.users.all()]


@router.patch("/{user_id}", response_model=UserPublic, summary="Change a role or disable")
def update_user(
    request: Request, ctx: Ctx, principal: Admin, user_id: UserId, body: UserUpdate
) -> Any:
    user = ctx.auth.users.update(user_id, role=body.role, disabled=body.disabled)
    caller = caller_of(request)
    ctx.audit.record(
        "user_updated",
        actor=principal.subject,
        actor_name=principal.name,
        outcome="success",
        target=user_id,
        client_ip=caller.client_ip,
        correlation_id=caller.correlation_id,
        details={k: str(v) for k, v in body.model_dump(mode="json", exclude_none=True).items()},
    )
    return user_public(ctx, user)


__all__ = ["router", "totp_uri", "user_public"]
