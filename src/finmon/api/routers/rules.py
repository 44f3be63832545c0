"""/v1/rules: the rule set in force, validation, deploy, roll back, history.

Rules change the bank's decisions, so a change goes through the rule store
(:class:`~finmon.monitor.rules.RuleStore`), which validates first, refuses a
broken set with every problem (rule id, line, column, reason), records the
refusal and keeps the active set; only an accepted change is swapped into the
running engine (its feature state survives). ``POST /v1/rules/validate``
compiles a text without storing it and answers 200 with ``valid`` and the
problems, since a broken draft is the expected answer of a linter, not an
error; ``POST /v1/rules`` with the same text is a 422 problem naming the same
places. Every change is audited (``rules_deployed``, ``rules_activated``,
refusals with outcome ``failure``) beside the store's own history.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel

from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.monitor_schemas import (
    ActiveRulesOut,
    RuleHistoryOut,
    RulesActivate,
    RulesDeployed,
    RulesText,
    RulesValidation,
)
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import audit_action, audit_refusal, idempotent
from finmon.core.errors import FinmonError

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/rules", tags=["rules"])
Reader = Annotated[Principal, Depends(require("rules:read"))]
Writer = Annotated[Principal, Depends(require("rules:write"))]
Revision = Annotated[int, PathParam(ge=1, le=2**62)]


def revision_out(version: Any) -> dict[str, Any]:
    out: dict[str, Any] = version.to_dict()
    return out


def _deployed(ctx: Any, version: Any) -> dict[str, Any]:
    """The revision now active and the diff the store recorded for its activation."""
    changes = [
        c for c in ctx.monitoring.rule_store.history() if c.action == "activate"
    ]  # the newest activation is this one (changes are serialised)
    last = changes[-1] if changes else None
    active = ctx.monitoring.active_rules().ruleset
    return {
        "revision": revision_out(version),
        "diff": None if last is None or last.diff is None else last.diff.to_dict(),
        "ruleset_version": str(active.version),
    }


@router.get("", response_model=ActiveRulesOut, summary="The rule set in force and its rules")
def get_rules(ctx: Ctx, principal: Reader) -> Any:
    active = ctx.monitoring.active_rules()
    ruleset = active.ruleset
    return {
        "name": ruleset.name,
        "version": str(ruleset.version),
        "description": ruleset.description,
        "sha256": ruleset.sha256,
        "revision": None if active.revision is None else revision_out(active.revision),
        "rules": [
            {
                "id": r.id,
                "description": r.description,
                "expression": r.expression,
                "severity": r.severity,
                "score": r.score,
                "tags": list(r.tags),
                "mode": r.mode,
                "version": r.version,
                "line": r.line,
                "column": r.column,
            }
            for r in ruleset.rules
        ],
        "text": ruleset.text,
    }


@router.post(
    "/validate",
    response_model=RulesValidation,
    summary="Check a rule-set text without storing it: every problem with line and column",
)
def validate_rules(ctx: Ctx, principal: Reader, body: RulesText) -> Any:
    checked = ctx.monitoring.check_rules(body.text)
    ruleset = checked.ruleset
    return {
        "valid": not checked.problems,
        "problems": [
            {
                "rule_id": p.rule_id,
                "field": p.field,
                "path": p.path,
                "line": p.line,
                "column": p.column,
                "reason": p.reason,
                "code": p.code,
            }
            for p in checked.problems
        ],
        "name": None if ruleset is None else ruleset.name,
        "version": None if ruleset is None else str(ruleset.version),
        "rules": 0 if ruleset is None else len(ruleset.rules),
    }


@router.post(
    "",
    status_code=201,
    response_model=RulesDeployed,
    summary="Deploy a rule set: validate, store as a new revision, activate, swap into the engine",
)
def deploy_rules(
    request: Request, ctx: Ctx, principal: Writer, body: RulesText, key: IdempotencyKey = None
) -> Any:
    def work() -> tuple[int, Any]:
        try:
            version = ctx.monitoring.deploy_rules(body.text, principal.name, body.comment)
        except FinmonError as exc:
            audit_refusal(ctx, request, principal, "rules_deployed", "rules", exc.message)
            raise
        audit_action(ctx, request, principal, "rules_deployed", f"rules:{version.revision}")
        return 201, _deployed(ctx, version)

    return idempotent(ctx, request, principal, key, body, work)


class _Activation(BaseModel):
    revision: int
    comment: str


@router.post(
    "/{revision}/activate",
    response_model=RulesDeployed,
    summary="Make a stored revision active again (roll back, or forward)",
)
def activate_rules(
    request: Request,
    ctx: Ctx,
    principal: Writer,
    revision: Revision,
    body: RulesActivate | None = None,
    key: IdempotencyKey = None,
) -> Any:
    comment = body.comment if body is not None else ""

    def work() -> tuple[int, Any]:
        try:
            version = ctx.monitoring.activate_rules(revision, principal.name, comment)
        except FinmonError as exc:
            audit_refusal(ctx, request, principal, "rules_activated", f"rules:{revision}", str(exc))
            raise
        audit_action(ctx, request, principal, "rules_activated", f"rules:{revision}")
        return 200, _deployed(ctx, version)

    fingerprint = _Activation(revision=revision, comment=comment)
    return idempotent(ctx, request, principal, key, fingerprint, work)


@router.get(
    "/history",
    response_model=RuleHistoryOut,
    summary="Every revision, and every save, activation and refusal with its diff",
)
def rule_history(ctx: Ctx, principal: Reader) -> Any:
    store = ctx.monitoring.rule_store
    active = store.active()
    return {
        "active": None if active is None else active.revision,
        "versions": [revision_out(v) for v in store.versions()],
        "changes": [c.to_dict() for c in store.history()],
    }


__all__ = ["router"]
