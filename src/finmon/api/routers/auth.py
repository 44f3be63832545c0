"""POST /v1/auth/login, /refresh, /logout and GET /v1/auth/me.

Login and refresh carry their credential in the body; a missing or malformed
one is a 401 like a missing header (see :data:`finmon.api.problems.CREDENTIAL_PATHS`),
and both are rate-limited per client IP on top of the per-user lockout.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from finmon.api.auth.tokens import TokenPair
from finmon.api.deps import Ctx, CurrentPrincipal, caller_of, credential_rate_limit, require
from finmon.api.rbac import Principal, permissions_of
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.schemas import LoginIn, MePublic, RefreshIn, TokenOut
from finmon.core.errors import ValidationError

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/auth", tags=["auth"])
Session = Annotated[Principal, Depends(require("session"))]
_CREDENTIALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "invalid credentials (or the account is locked)"}
}


def _tokens(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


@router.post(
    "/login",
    response_model=TokenOut,
    dependencies=[Depends(credential_rate_limit)],
    summary="Password + TOTP code -> access and refresh tokens",
    responses=_CREDENTIALS,
)
def login(request: Request, ctx: Ctx, body: LoginIn) -> TokenOut:
    pair = ctx.auth.login(body.username, body.password, body.totp, caller_of(request))
    return _tokens(pair)


@router.post(
    "/refresh",
    response_model=TokenOut,
    dependencies=[Depends(credential_rate_limit)],
    summary="Rotate a refresh token into a new pair (a reused one revokes the session)",
    responses=_CREDENTIALS,
)
def refresh(request: Request, ctx: Ctx, body: RefreshIn) -> TokenOut:
    return _tokens(ctx.auth.refresh(body.refresh_token, caller_of(request)))


@router.post("/logout", status_code=204, summary="Revoke this access token and its session")
def logout(request: Request, ctx: Ctx, principal: Session) -> Response:
    claims: dict[str, Any] = request.state.claims
    if principal.kind != "user":
        raise ValidationError("API keys do not log out; revoke the key", field="authorization")
    ctx.auth.logout(principal, str(claims["fam"]), int(claims["exp"]), caller_of(request))
    return Response(status_code=204)


@router.get("/me", response_model=MePublic, summary="Who the credentials belong to")
def me(principal: CurrentPrincipal, _: Session) -> MePublic:
    perms = permissions_of(principal.role)
    if principal.scopes:
        perms = perms & (principal.scopes | {"session"})
    return MePublic(
        subject=principal.subject,
        name=principal.name,
        kind=principal.kind,
        role=principal.role,
        permissions=sorted(perms),
    )


__all__ = ["router"]
