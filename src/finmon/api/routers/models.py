"""/v1/models: the model registry over HTTP (versions, champion, promote, roll back, shadow).

The registry (:class:`~finmon.monitor.models.ModelRegistry`) keeps the
versions and who promoted what; the API loads a model with the engine's
feature-set version before it lets the registry change anything, so a model
whose files were altered (409 ``model_refused``) or that was trained on
another feature set (422 ``feature_set_mismatch``) is refused with the reason
and the champion in place keeps serving. Accepted changes are swapped into
the running engine at once, and audited (``model_promoted``,
``model_rolled_back``, ``model_challenger_set``/``_cleared``; refusals with
outcome ``failure``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel

from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.monitor_schemas import ModelChanged, ModelInfo, ModelsOut
from finmon.api.monitoring import ModelChange, model_summary
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import audit_action, audit_refusal, idempotent
from finmon.core.errors import FinmonError, NotFoundError

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/models", tags=["models"])
Reader = Annotated[Principal, Depends(require("models:read"))]
Writer = Annotated[Principal, Depends(require("models:write"))]
Version = Annotated[str, PathParam(min_length=1, max_length=128)]


class _Target(BaseModel):
    """What an idempotent model change is about (these routes have no body)."""

    action: str
    version: str | None = None


def _list_item(
    ctx: Any, version: str, champion: str | None, challenger: str | None
) -> dict[str, Any]:
    role = "champion" if version == champion else "challenger" if version == challenger else "none"
    try:
        return {
            "version": version,
            "role": role,
            "summary": model_summary(ctx.monitoring.describe(version)),
        }
    except FinmonError as exc:  # one damaged version must not hide the others
        return {"version": version, "role": role, "summary": None, "problem": exc.message}


@router.get("", response_model=ModelsOut, summary="Model versions, champion, challenger, metrics")
def list_models(ctx: Ctx, principal: Reader) -> Any:
    from finmon.monitor.service import FEATURE_SET_VERSION

    registry = ctx.monitoring.registry
    champion, challenger = registry.champion(), registry.challenger()
    serving, _, _, problem = ctx.monitoring.engine_state()
    versions = [h["version"] for h in registry.history() if h.get("action") == "register"]
    return {
        "champion": champion,
        "challenger": challenger,
        "serving": serving,
        "feature_set_version": FEATURE_SET_VERSION,
        "problem": problem,
        "versions": [_list_item(ctx, v, champion, challenger) for v in dict.fromkeys(versions)],
    }


@router.get(
    "/champion",
    response_model=ModelInfo,
    summary="The champion: version, feature set, training window, metrics, whether it serves",
)
def get_champion(ctx: Ctx, principal: Reader) -> Any:
    monitoring = ctx.monitoring
    version = monitoring.registry.champion()
    if version is None:
        raise NotFoundError("no model has been promoted yet", field="champion")
    info = model_summary(monitoring.describe(version))
    serving, _, _, problem = monitoring.engine_state()
    try:
        model = monitoring.verified(version)
    except FinmonError as exc:
        names: list[str] = []
        params: dict[str, Any] = {}
        problem = exc.message
    else:
        names, params = list(model.feature_names), dict(model.params)
    return {
        **info,
        "feature_names": names,
        "params": params,
        "serving": serving == version,
        "problem": None if serving == version else problem,
    }


def _change(
    request: Request,
    ctx: Any,
    principal: Principal,
    key: str | None,
    action: str,
    audit: str,
    version: str | None,
    run: Any,
) -> Any:
    """Run one registry change idempotently; audit it, or its refusal with the reason."""

    def work() -> tuple[int, Any]:
        target = f"model:{version or ''}"
        try:
            change: ModelChange = run()
        except FinmonError as exc:
            audit_refusal(ctx, request, principal, audit, target, exc.message)
            raise
        audit_action(ctx, request, principal, audit, f"model:{change.version or ''}")
        serving, _, _, _ = ctx.monitoring.engine_state()
        return 200, {
            "action": action,
            "version": change.version,
            "previous": change.previous,
            "serving": serving,
        }

    return idempotent(ctx, request, principal, key, _Target(action=action, version=version), work)


@router.post(
    "/{version}/promote",
    response_model=ModelChanged,
    summary="Make a version champion and serve it (refused if altered or for another feature set)",
)
def promote(
    request: Request, ctx: Ctx, principal: Writer, version: Version, key: IdempotencyKey = None
) -> Any:
    return _change(
        request, ctx, principal, key, "promote", "model_promoted", version,
        lambda: ctx.monitoring.promote(version, principal.name),
    )  # fmt: skip


@router.post(
    "/rollback",
    response_model=ModelChanged,
    summary="Serve the previous champion again",
)
def rollback(request: Request, ctx: Ctx, principal: Writer, key: IdempotencyKey = None) -> Any:
    return _change(
        request, ctx, principal, key, "rollback", "model_rolled_back", None,
        lambda: ctx.monitoring.rollback(principal.name),
    )  # fmt: skip


@router.post(
    "/{version}/challenger",
    response_model=ModelChanged,
    summary="Score a version in shadow beside the champion (it never decides)",
)
def set_challenger(
    request: Request, ctx: Ctx, principal: Writer, version: Version, key: IdempotencyKey = None
) -> Any:
    return _change(
        request, ctx, principal, key, "set_challenger", "model_challenger_set", version,
        lambda: ctx.monitoring.set_challenger(version, principal.name),
    )  # fmt: skip


@router.delete(
    "/challenger",
    response_model=ModelChanged,
    summary="Stop shadow-scoring the challenger",
)
def clear_challenger(request: Request, ctx: Ctx, principal: Writer) -> Any:
    try:
        change = ctx.monitoring.set_challenger(None, principal.name)
    except FinmonError as exc:
        audit_refusal(ctx, request, principal, "model_challenger_cleared", "model:", exc.message)
        raise
    audit_action(
        ctx, request, principal, "model_challenger_cleared", f"model:{change.previous or ''}"
    )
    serving, _, _, _ = ctx.monitoring.engine_state()
    return {
        "action": "clear_challenger",
        "version": None,
        "previous": change.previous,
        "serving": serving,
    }


__all__ = ["router"]
