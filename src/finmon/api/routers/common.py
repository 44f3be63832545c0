"""Helpers the routers share: JSON responses, idempotent POSTs, events as output."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from finmon.api.context import ApiContext
from finmon.api.deps import caller_of
from finmon.api.idempotency import Stored, fingerprint, replay, scoped_key
from finmon.api.masking import mask_payload
from finmon.api.rbac import Principal

Work = Callable[[], tuple[int, Any]]
AsyncWork = Callable[[], Awaitable[tuple[int, Any]]]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def idempotent(
    ctx: ApiContext,
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    work: Work,
) -> Response:
    """Run ``work`` once per (caller, route, Idempotency-Key); replay its response after.

    The fingerprint is of the *parsed* body, so whitespace or key order do not
    make a retry look like a different request.
    """
    if key is None:
        status, payload = work()
        return json_response(status, payload)
    scoped, print_, stored = _lookup(ctx, request, principal, key, body)
    if stored is not None:
        return json_response(stored.status, stored.body, {"Idempotency-Replayed": "true"})
    status, payload = work()
    ctx.idempotency.put(scoped, Stored(print_, status, payload))
    return json_response(status, payload)


async def idempotent_async(
    ctx: ApiContext,
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    work: AsyncWork,
) -> Response:
    """:func:`idempotent` for work that awaits (the group-committed single ingest)."""
    if key is None:
        status, payload = await work()
        return json_response(status, payload)
    scoped, print_, stored = _lookup(ctx, request, principal, key, body)
    if stored is not None:
        return json_response(stored.status, stored.body, {"Idempotency-Replayed": "true"})
    status, payload = await work()
    ctx.idempotency.put(scoped, Stored(print_, status, payload))
    return json_response(status, payload)


def _lookup(
    ctx: ApiContext, request: Request, principal: Principal, key: str, body: BaseModel
) -> tuple[str, str, Stored | None]:
    route = getattr(request.scope.get("route"), "path", request.url.path)
    scoped = scoped_key(principal.subject, route, key)
    print_ = fingerprint(body.model_dump_json().encode())
    return scoped, print_, replay(ctx.idempotency, scoped, print_)


def event_out(seq: int, event: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A stored event for output: card numbers always masked, PII unless ``pii:read``."""
    return {
        "seq": seq,
        **event,
        "payload": mask_payload(event.get("payload", {}), may_see_pii=principal.may("pii:read")),
    }


def audit_action(
    ctx: ApiContext, request: Request, principal: Principal, action: str, target: str
) -> None:
    """Record a successful administrative action (who, what, on which target, from where)."""
    caller = caller_of(request)
    ctx.audit.record(
        action,
        actor=principal.subject,
        actor_name=principal.name,
        outcome="success",
        target=target,
        client_ip=caller.client_ip,
        correlation_id=caller.correlation_id,
    )


def audit_refusal(
    ctx: ApiContext,
    request: Request,
    principal: Principal,
    action: str,
    target: str,
    reason: str,
) -> None:
    """Record an administrative action that was refused (outcome ``failure``, with why)."""
    caller = caller_of(request)
    ctx.audit.record(
        action,
        actor=principal.subject,
        actor_name=principal.name,
        outcome="failure",
        target=target,
        reason=reason[:1000],
        client_ip=caller.client_ip,
        correlation_id=caller.correlation_id,
    )


__all__ = [
    "audit_action",
    "audit_refusal",
    "event_out",
    "idempotent",
    "idempotent_async",
    "json_response",
]
