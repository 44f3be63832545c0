"""/v1/kyc: onboarding decisions and customer risk ratings (:mod:`finmon.aml.kyc`).

``POST /v1/kyc/onboarding`` runs every onboarding check on an application
(identity, age, countries, address, document, declared profile, sanctions and
PEP screening, the initial rating) and answers approve / refer (enhanced due
diligence first) / reject with every check and its reason. The name is
screened against the lists the app has loaded, by the same screener as
``/v1/screening``; with no list loaded the route answers 409 rather than
approve someone nobody screened. Content problems (a missing name, an expired
document) are checks with a reason, so the applicant sees them all at once; a
body of the wrong shape is a 422 naming the field.

``POST /v1/kyc/reviews-due`` says which customers are due their periodic
review (the interval follows the tier). The app stores no customer base (a
rating is answered, not kept), so the caller sends the review records of its
system of record (customer id, tier, last review date) and gets back who is
due, most overdue first.

``POST /v1/kyc/rating`` rates a customer profile with its observed activity:
score, tier, the factor breakdown, floors, EDD triggers and the next review.

A retry with the same ``Idempotency-Key`` and body replays the first answer
without deciding or auditing again. Every onboarding decision is audited
(``kyc_onboarding_decided``) with the outcome and the checks that failed or
referred, and nothing personal beyond the bank's customer id: the name
appears only masked. In responses the
applicant's name is masked for roles without ``pii:read``; list entries'
names (in hits and reasons) are published data and shown.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from finmon.aml.kyc.application import Application
from finmon.api.aml_schemas import (
    OnboardingOut,
    RatingRequest,
    RatingResponse,
    ReviewsDueOut,
    ReviewsDueRequest,
)
from finmon.api.deps import Ctx, IdempotencyKey, caller_of, require
from finmon.api.masking import mask_value
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import idempotent
from finmon.api.routers.screening import UNAVAILABLE
from finmon.core.errors import Problem, ValidationError

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/kyc", tags=["kyc"])
Reader = Annotated[Principal, Depends(require("kyc:read"))]
Writer = Annotated[Principal, Depends(require("kyc:write"))]


def rating_out(rating: Any) -> dict[str, Any]:
    """A :class:`~finmon.aml.kyc.CustomerRating` as the API shows it."""
    return {
        "customer_id": rating.customer_id,
        "score": rating.score,
        "tier": rating.tier,
        "factors": [f.to_dict() for f in rating.factors],
        "floors": list(rating.floors),
        "edd_triggers": [{"code": t.code, "reason": t.reason} for t in rating.triggers],
        "rated_on": rating.rated_on.isoformat(),
        "next_review": rating.next_review.isoformat(),
        "activity_ratio": rating.activity_ratio,
    }


def hits_out(hits: Any) -> list[dict[str, Any]]:
    return [
        {
            "list_name": h.list_name,
            "entry_id": h.entry_id,
            "matched_name": h.matched_name,
            "score": h.score,
            "is_pep": h.is_pep,
        }
        for h in hits
    ]


def _audit_decision(
    ctx: Any, request: Request, principal: Principal, app: Application, result: Any
) -> None:
    """Who decided what about which customer id; the name only masked."""
    failed = ",".join(sorted({c.check for c in result.failed})) or "-"
    referred = ",".join(sorted({c.check for c in result.referred})) or "-"
    caller = caller_of(request)
    ctx.audit.record(
        "kyc_onboarding_decided",
        actor=principal.subject,
        actor_name=principal.name,
        outcome="success",
        target=f"kyc:{app.customer_id or 'applicant'}",
        reason=(
            f"outcome={result.outcome}; tier={result.rating.tier}; failed={failed};"
            f" referred={referred}; name={mask_value(app.full_name)}"
        ),
        client_ip=caller.client_ip,
        correlation_id=caller.correlation_id,
    )


@router.post(
    "/onboarding",
    response_model=OnboardingOut,
    responses=UNAVAILABLE,
    summary="Decide an application: approve, refer (EDD) or reject, with every check and reason",
)
def onboarding(
    request: Request, ctx: Ctx, principal: Writer, body: Application, key: IdempotencyKey = None
) -> Any:
    def work() -> tuple[int, Any]:
        return 200, _decide(request, ctx, principal, body)

    return idempotent(ctx, request, principal, key, body, work)


def _decide(request: Request, ctx: Any, principal: Principal, body: Application) -> dict[str, Any]:
    """Decide once and audit the decision (a replayed Idempotency-Key repeats neither)."""
    from finmon.aml.kyc import onboard

    screener, lists = ctx.screening.name_screener()
    result = onboard(body, clock=ctx.clock, screener=screener)
    _audit_decision(ctx, request, principal, body, result)
    name = body.full_name
    return {
        "outcome": result.outcome,
        "decided_at": result.decided_at.isoformat(),
        "applicant": {
            "customer_id": body.customer_id,
            "kind": body.kind,
            "name": name if principal.may("pii:read") else mask_value(name),
        },
        "checks": [c.to_dict() for c in result.checks],
        "rating": rating_out(result.rating),
        "screening_hits": hits_out(result.screening_hits),
        "lists": list(lists),
    }


def _profile(body: RatingRequest) -> Any:
    from finmon.aml.kyc import CustomerProfile
    from finmon.aml.screening import validate_name

    p = body.profile
    if body.screen and p.name.strip():
        try:
            validate_name(p.name, field="profile.name")
        except ValidationError as exc:
            raise ValidationError.from_problems("profile", exc.problems) from None
    return CustomerProfile(
        customer_id=p.customer_id,
        kind=p.kind,
        name=p.name,
        date_of_birth=p.date_of_birth,
        country=p.country or None,
        nationality=p.nationality or None,
        pep=p.pep,
        occupation=p.occupation or None,
        products=tuple(p.products),
        channels=tuple(p.channels),
        expected_monthly_volume_minor=p.expected_monthly_volume_minor,
        expected_monthly_count=p.expected_monthly_count,
        currency=p.currency,
        past_sars=p.past_sars,
        last_reviewed=p.last_reviewed,
    )


@router.post(
    "/rating",
    response_model=RatingResponse,
    responses=UNAVAILABLE,
    summary="Rate a customer: score, tier, factor breakdown, EDD triggers, next review",
)
def rating(ctx: Ctx, principal: Reader, body: RatingRequest) -> Any:
    from finmon.aml.kyc import ObservedActivity
    from finmon.aml.kyc.rating import rate_customer, screen_profile

    profile = _profile(body)
    screener, lists = ctx.screening.name_screener() if body.screen else (None, ())
    observed = None
    if body.observed is not None:
        o = body.observed
        observed = ObservedActivity(
            inflow_minor=o.inflow_minor,
            outflow_minor=o.outflow_minor,
            count=o.count,
            days=o.days,
            channels=tuple(o.channels),
        )
    as_of = body.as_of or ctx.clock.now().date()
    hits = screen_profile(profile, screener)
    try:
        rated = rate_customer(_with_hits(profile, hits), observed, as_of=as_of, screener=None)
    except ValidationError as exc:  # the rating names profile fields by their own names
        problems = [Problem(f"profile.{p.field}", p.reason, p.code) for p in exc.problems]
        raise ValidationError.from_problems("profile", problems) from None
    return {
        "rating": rating_out(rated),
        "screening_hits": hits_out(hits),
        "lists": list(lists),
    }


def _with_hits(profile: Any, hits: Any) -> Any:
    import dataclasses

    return dataclasses.replace(profile, screening_hits=tuple(hits))


@router.post(
    "/reviews-due",
    response_model=ReviewsDueOut,
    summary="Which of these customers are due a periodic review (by tier), most overdue first",
)
def reviews_due(ctx: Ctx, principal: Reader, body: ReviewsDueRequest) -> Any:
    """The app keeps no customer base (ratings are answered, not stored), so the caller
    sends the review records its system of record holds; nothing is stored or audited."""
    from finmon.aml.kyc import ReviewRecord, due_for_review

    as_of = body.as_of or ctx.clock.now().date()
    records = [ReviewRecord(c.customer_id, c.tier, c.last_reviewed) for c in body.customers]
    due = due_for_review(records, as_of)
    return {
        "as_of": as_of.isoformat(),
        "checked": len(records),
        "due_count": len(due),
        "truncated": len(due) > body.limit,
        "due": [d.to_dict() for d in due[: body.limit]],
    }


__all__ = ["hits_out", "rating_out", "router"]
