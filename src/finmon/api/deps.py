"""The ``Annotated`` dependencies handlers declare: the context, the caller, permissions.

The dependencies are ``async``: they do microseconds of work (a token
check, one indexed SQLite read), and a sync dependency would cost a hop to
the thread pool and back on every request, which under load is most of its
latency. Authorization happens here and nowhere else: a protected route declares
``Depends(require("transactions:write"))``, which authenticates the caller
(bearer JWT or API key), checks the permission against
:data:`finmon.api.rbac.PERMISSIONS`, audits a refusal and applies the rate
limit of that caller on that route. :func:`permission_of` lets the route
walker (docs and tests) read which permission a route requires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from finmon.api.auth.service import Caller
from finmon.api.context import ApiContext
from finmon.api.ratelimit import retry_after
from finmon.api.rbac import PERMISSIONS, Principal
from finmon.core.errors import FinmonError, ForbiddenError, UnauthorizedError

_bearer = HTTPBearer(auto_error=False, description="JWT access token or an API key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (fmk_...)")
_PERMISSION_OF: dict[Callable[..., Any], str] = {}


class RateLimited(FinmonError):
    """Too many requests from this caller on this route; retry after ``retry_after`` s."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit exceeded; retry in {retry_after(wait)} s", field="")
        self.retry_after = retry_after(wait)


async def get_ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(get_ctx)]


def caller_of(request: Request) -> Caller:
    host = request.client.host if request.client else ""
    return Caller(client_ip=host, correlation_id=str(getattr(request.state, "correlation_id", "")))


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ApiKeyHeader = Annotated[str | None, Depends(_api_key)]


def _principal(
    request: Request, bearer: HTTPAuthorizationCredentials | None, api_key: str | None
) -> Principal:
    credential = api_key or (bearer.credentials if bearer else None)
    if not credential:
        raise UnauthorizedError("authentication required", field="authorization")
    ctx: ApiContext = request.app.state.ctx
    principal, claims = ctx.auth.authenticate(credential)
    request.state.principal = principal
    request.state.claims = claims
    return principal


async def authenticated(request: Request, bearer: Bearer, api_key: ApiKeyHeader) -> Principal:
    """The caller proven by ``Authorization: Bearer`` or ``X-API-Key``; 401 otherwise."""
    return _principal(request, bearer, api_key)


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]


def _limit(ctx: ApiContext, request: Request, who: str, rate: float, burst: int) -> None:
    route = getattr(request.scope.get("route"), "path", request.url.path)
    wait = ctx.limiter.take(f"{who}|{request.method} {route}", rate, burst)
    if wait > 0:
        raise RateLimited(wait)


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only principals holding ``permission`` (then rate-limits)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    # Flat on purpose: FastAPI's dependency resolution costs per node, on every request.
    async def dependency(request: Request, bearer: Bearer, api_key: ApiKeyHeader) -> Principal:
        principal = _principal(request, bearer, api_key)
        ctx: ApiContext = request.app.state.ctx
        if not principal.may(permission):
            ctx.audit.record(
                "access_denied",
                actor=principal.subject,
                actor_name=principal.name,
                outcome="denied",
                target=f"{request.method} {request.url.path}",
                reason=f"lacks {permission}",
                client_ip=caller_of(request).client_ip,
                correlation_id=caller_of(request).correlation_id,
            )
            raise ForbiddenError(
                f"role {principal.role.value} may not {permission}", field="authorization"
            )
        _limit(ctx, request, principal.subject, ctx.api.rate_limit_rps, ctx.api.rate_limit_burst)
        return principal

    _PERMISSION_OF[dependency] = permission
    return dependency


async def credential_rate_limit(request: Request, ctx: Ctx) -> None:
    """Per-IP limit on the routes that take a password or refresh token in the body."""
    ip = caller_of(request).client_ip or "unknown"
    _limit(ctx, request, f"ip:{ip}", ctx.api.login_rate_limit_rps, ctx.api.login_rate_limit_burst)


def permission_of(call: Callable[..., Any]) -> str | None:
    """The permission a :func:`require` dependency checks, or None for any other callable."""
    return _PERMISSION_OF.get(call)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a POST safely: same key and body, same response.",
    ),
]


__all__ = [
    "Ctx",
    "CurrentPrincipal",
    "IdempotencyKey",
    "RateLimited",
    "authenticated",
    "caller_of",
    "credential_rate_limit",
    "get_ctx",
    "permission_of",
    "require",
]
