"""Onboarding checks: may the bank take this applicant, and on what terms?

Every check runs (none stops at the first problem) and reports ``pass``,
``refer`` (take the customer only after enhanced due diligence) or ``fail``
(refuse), with the field it concerns and the reason. The outcome is
``reject`` when any check fails, ``refer`` when any refers, else
``approve``; the application's own risk rating (from the declared profile) is
one of the checks, so a high-risk profile is referred even when every field
is in order.

Time comes from an injected :class:`finmon.core.clock.Clock`: ages and
document expiry are "as of the clock", which makes the checks replayable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from finmon.aml.kyc.application import Application
from finmon.aml.kyc.rating import (
    DEFAULT_CONFIG,
    CustomerProfile,
    CustomerRating,
    RiskConfig,
    rate_customer,
)
from finmon.aml.kyc.screening import NameScreener, ScreeningHit
from finmon.aml.kyc.tables import (
    DOCUMENT_RULES,
    DOCUMENT_TYPES,
    ISO_COUNTRIES,
    DocumentRule,
    document_rule,
    normalise_document_number,
)
from finmon.core.clock import Clock
from finmon.core.currency import get_currency
from finmon.core.errors import FinmonError

Status = Literal["pass", "refer", "fail"]
Outcome = Literal["approve", "refer", "reject"]

#: Letters in any script, with the separators real names use. Digits are not names.
_PERSON_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.\u2019][^\W\d_]*)*$")


@dataclass(frozen=True, slots=True)
class OnboardingConfig:
    """Cut-offs of the onboarding checks (the risk tables live in ``risk``)."""

    min_age: int = 18
    max_age: int = 120
    max_name_length: int = 140
    document_rules: tuple[DocumentRule, ...] = DOCUMENT_RULES
    risk: RiskConfig = DEFAULT_CONFIG


DEFAULT_ONBOARDING = OnboardingConfig()


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: its name, the field it concerns, pass/refer/fail and why."""

    check: str
    field: str
    status: Status
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "field": self.field,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class OnboardingResult:
    """The decision on one application, every check's result and the initial rating."""

    outcome: Outcome
    checks: tuple[CheckResult, ...]
    rating: CustomerRating
    screening_hits: tuple[ScreeningHit, ...]
    decided_at: datetime

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def referred(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status == "refer")

    def result(self, check: str, field: str | None = None) -> CheckResult:
        """The (first) result of ``check``, optionally for one field."""
        for c in self.checks:
            if c.check == check and (field is None or c.field == field):
                return c
        raise KeyError(check if field is None else f"{check}/{field}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "decided_at": self.decided_at.isoformat(),
            "checks": [c.to_dict() for c in self.checks],
            "edd_triggers": [t.code for t in self.rating.triggers],
            "rating": self.rating.to_dict(),
            "screening_hits": [
                {
                    "list_name": h.list_name,
                    "entry_id": h.entry_id,
                    "matched_name": h.matched_name,
                    "score": h.score,
                    "is_pep": h.is_pep,
                }
                for h in self.screening_hits
            ],
        }


def _ok(check: str, fld: str, reason: str) -> CheckResult:
    return CheckResult(check, fld, "pass", reason)


def _fail(check: str, fld: str, reason: str) -> CheckResult:
    return CheckResult(check, fld, "fail", reason)


def _refer(check: str, fld: str, reason: str) -> CheckResult:
    return CheckResult(check, fld, "refer", reason)


# --- identity ------------------------------------------------------------------------------


def _name(check_field: str, value: str, business: bool, cfg: OnboardingConfig) -> CheckResult:
    if not value:
        return _fail("name", check_field, f"{check_field} is missing")
    if len(value) > cfg.max_name_length:
        return _fail("name", check_field, f"{check_field} is longer than {cfg.max_name_length}")
    if not any(ch.isalpha() for ch in value):
        return _fail("name", check_field, f"{check_field} has no letters")
    if not business and _PERSON_NAME.match(value) is None:
        return _fail(
            "name", check_field, f"{check_field} holds characters a person's name does not"
        )
    return _ok("name", check_field, f"{check_field} present and plausible")


def check_names(app: Application, cfg: OnboardingConfig) -> list[CheckResult]:
    """Individuals need given and family names (letters in any script); businesses a legal name."""
    if app.kind == "business":
        return [_name("legal_name", app.legal_name, True, cfg)]
    return [
        _name("given_names", app.given_names, False, cfg),
        _name("family_name", app.family_name, False, cfg),
    ]


def age_on(born: date, today: date) -> int:
    """Completed years between ``born`` and ``today`` (birthdays count on the day)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_age(app: Application, today: date, cfg: OnboardingConfig) -> list[CheckResult]:
    """An individual must be an adult and plausibly alive; the date cannot be in the future."""
    if app.kind == "business":
        return []
    fld = "date_of_birth"
    born = app.date_of_birth
    if born is None:
        return [_fail("age", fld, "date_of_birth is missing")]
    if born > today:
        return [_fail("age", fld, f"date_of_birth {born} is in the future")]
    age = age_on(born, today)
    if age < cfg.min_age:
        return [_fail("age", fld, f"applicant is {age}, under the minimum age {cfg.min_age}")]
    if age > cfg.max_age:
        return [_fail("age", fld, f"age {age} is over {cfg.max_age}: date_of_birth implausible")]
    return [_ok("age", fld, f"applicant is {age}")]


def _country_code(check: str, fld: str, code: str, required: bool) -> CheckResult | None:
    """A failed result when the code is missing (if required) or not ISO 3166-1; None when fine."""
    if not code:
        return _fail(check, fld, f"{fld} is missing") if required else None
    if code not in ISO_COUNTRIES:
        return _fail(check, fld, f"{fld} {code!r} is not an ISO 3166-1 alpha-2 code")
    return None


def check_countries(app: Application, risk: RiskConfig) -> list[CheckResult]:
    """Residence (and an individual's nationality) are real codes, not blocked jurisdictions."""
    fields = [("country_of_residence", app.country_of_residence)]
    if app.kind == "individual":
        fields.append(("nationality", app.nationality))
    results: list[CheckResult] = []
    for fld, code in fields:
        bad = _country_code("country", fld, code, required=True)
        if bad is not None:
            results.append(bad)
        elif code in risk.prohibited_countries:
            results.append(_fail("country", fld, f"{fld} {code} is under a FATF call for action"))
        elif code in risk.edd_countries:
            results.append(
                _refer("country", fld, f"{fld} {code} is under FATF increased monitoring: EDD")
            )
        else:
            results.append(_ok("country", fld, f"{fld} {code} allowed"))
    return results


def check_address(app: Application) -> list[CheckResult]:
    """A street line and a city; the address country, if given, is a real code."""
    results: list[CheckResult] = []
    for fld, value in (("address.line1", app.address.line1), ("address.city", app.address.city)):
        results.append(
            _ok("address", fld, f"{fld} present")
            if value
            else _fail("address", fld, f"{fld} is missing")
        )
    bad = _country_code("address", "address.country", app.address.country, required=False)
    if bad is not None:
        results.append(bad)
    return results


# --- document ------------------------------------------------------------------------------


def _document_type(app: Application) -> CheckResult:
    fld = "document_type"
    if not app.document_type:
        return _fail("document", fld, "document_type is missing")
    if app.document_type not in DOCUMENT_TYPES:
        return _fail(
            "document",
            fld,
            f"document_type {app.document_type!r} is not one of {', '.join(DOCUMENT_TYPES)}",
        )
    business_doc = app.document_type == "company_registration"
    if business_doc != (app.kind == "business"):
        wanted = "company_registration" if app.kind == "business" else "a personal document"
        return _fail("document", fld, f"a {app.kind} applicant needs {wanted}")
    return _ok("document", fld, f"{app.document_type} accepted for a {app.kind}")


def _document_number(app: Application, cfg: OnboardingConfig) -> CheckResult:
    fld = "document_number"
    number = normalise_document_number(app.document_number)
    if not number:
        return _fail("document", fld, "document_number is missing")
    country = app.document_country or None
    rule = document_rule(app.document_type, country, cfg.document_rules)
    if rule is None:
        return _fail("document", fld, f"no format known for document_type {app.document_type!r}")
    where = rule.country or "any issuer"
    if not rule.accepts(number):
        return _fail(
            "document",
            fld,
            f"{app.document_type} number does not match {where}: {rule.description}",
        )
    return _ok("document", fld, f"{app.document_type} number matches {where}: {rule.description}")


def check_document(app: Application, today: date, cfg: OnboardingConfig) -> list[CheckResult]:
    """Type fits the applicant, number fits the issuer's format, issuer is real, not expired."""
    results = [_document_type(app), _document_number(app, cfg)]
    bad = _country_code("document", "document_country", app.document_country, required=True)
    results.append(bad or _ok("document", "document_country", "issuing country recognised"))
    if app.document_expiry is not None:
        results.append(
            _fail("document", "document_expiry", f"document expired on {app.document_expiry}")
            if app.document_expiry < today
            else _ok("document", "document_expiry", f"valid until {app.document_expiry}")
        )
    return results


# --- declared profile ------------------------------------------------------------------------


def _known_list(fld: str, values: list[str], known: set[str]) -> CheckResult:
    if not values:
        return _fail("profile", fld, f"{fld} is empty: the bank must know what the account is for")
    unknown = [v for v in values if v not in known]
    if unknown:
        return _fail("profile", fld, f"unknown {fld}: {', '.join(unknown)}")
    return _ok("profile", fld, f"{fld} recognised")


def check_profile(app: Application, risk: RiskConfig) -> list[CheckResult]:
    """Occupation, expected activity, currency, products and channels are declared and known."""
    results = [
        _ok("profile", "occupation", "occupation declared")
        if app.occupation
        else _fail("profile", "occupation", "occupation is missing: source of funds unknown"),
        _ok("profile", "expected_monthly_volume_minor", "expected volume declared")
        if app.expected_monthly_volume_minor is not None
        else _fail(
            "profile", "expected_monthly_volume_minor", "expected monthly volume is missing"
        ),
    ]
    try:
        get_currency(app.currency)
        results.append(_ok("profile", "currency", f"{app.currency} recognised"))
    except FinmonError:
        results.append(_fail("profile", "currency", f"currency {app.currency!r} is not ISO 4217"))
    results.append(_known_list("products", app.products, set(risk.product_risk)))
    results.append(_known_list("channels", app.channels, set(risk.channel_risk)))
    return results


# --- screening and rating ---------------------------------------------------------------------


def check_screening(
    app: Application, hits: tuple[ScreeningHit, ...], risk: RiskConfig
) -> list[CheckResult]:
    """Sanctions: strong match fails, near match refers. PEP: declared or matched refers (EDD)."""
    fld = "legal_name" if app.kind == "business" else "family_name"
    sanctions = [h for h in hits if not h.is_pep]
    best = max(sanctions, key=lambda h: h.score, default=None)
    if best is not None and best.score >= risk.strong_match_score:
        s = _fail(
            "sanctions",
            fld,
            f"strong match {best.score:.0f} to {best.matched_name!r} "
            f"({best.list_name} {best.entry_id}): blocked until compliance discounts it",
        )
    elif best is not None and best.score >= risk.near_match_score:
        s = _refer(
            "sanctions",
            fld,
            f"near match {best.score:.0f} to {best.matched_name!r} "
            f"({best.list_name} {best.entry_id})",
        )
    else:
        s = _ok("sanctions", fld, "no sanctions match at or above the near-match score")
    peps = [h for h in hits if h.is_pep and h.score >= risk.near_match_score]
    if app.pep_declared:
        p = _refer("pep", "pep_declared", "applicant declares PEP status: EDD and senior approval")
    elif peps:
        top = max(peps, key=lambda h: h.score)
        p = _refer(
            "pep", fld, f"PEP list match {top.score:.0f} to {top.matched_name!r} ({top.list_name})"
        )
    else:
        p = _ok("pep", fld, "not declared and no PEP list match")
    return [s, p]


def check_rating(rating: CustomerRating) -> list[CheckResult]:
    """The declared profile's risk: prohibited fails, high or any EDD trigger refers."""
    text = f"score {rating.score:g}, tier {rating.tier}"
    if rating.tier == "prohibited":
        return [_fail("risk", "risk_tier", f"{text}: {'; '.join(rating.floors)}")]
    if rating.tier == "high" or rating.triggers:
        codes = ", ".join(t.code for t in rating.triggers) or "none"
        return [_refer("risk", "risk_tier", f"{text}; EDD triggers: {codes}")]
    return [_ok("risk", "risk_tier", text)]


def profile_from_application(app: Application, hits: tuple[ScreeningHit, ...]) -> CustomerProfile:
    """The rating's view of an applicant (nothing observed yet)."""
    return CustomerProfile(
        customer_id=app.customer_id or "applicant",
        kind=app.kind,
        name=app.full_name,
        date_of_birth=app.date_of_birth,
        country=app.country_of_residence or None,
        nationality=app.nationality or None,
        pep=app.pep_declared,
        occupation=app.occupation or None,
        products=tuple(app.products),
        channels=tuple(app.channels),
        expected_monthly_volume_minor=app.expected_monthly_volume_minor,
        expected_monthly_count=app.expected_monthly_count,
        currency=app.currency,
        screening_hits=hits,
    )


def _screen(app: Application, screener: NameScreener | None) -> tuple[ScreeningHit, ...]:
    if screener is None or not app.full_name:
        return ()
    return tuple(
        screener.screen(
            app.full_name,
            dob=app.date_of_birth,
            country=app.nationality or app.country_of_residence or None,
            entity_type=app.kind,
        )
    )


def _outcome(checks: list[CheckResult]) -> Outcome:
    if any(c.status == "fail" for c in checks):
        return "reject"
    if any(c.status == "refer" for c in checks):
        return "refer"
    return "approve"


def onboard(
    app: Application,
    *,
    clock: Clock,
    screener: NameScreener | None = None,
    config: OnboardingConfig = DEFAULT_ONBOARDING,
) -> OnboardingResult:
    """Run every onboarding check on ``app`` and decide approve / refer / reject.

    Without a screener the sanctions and PEP checks see no hits (and say so
    only through their reasons); production must pass one.
    """
    now = clock.now()
    today = now.date()
    hits = _screen(app, screener)
    rating = rate_customer(
        profile_from_application(app, hits), None, as_of=today, config=config.risk
    )
    steps: list[Callable[[], list[CheckResult]]] = [
        lambda: check_names(app, config),
        lambda: check_age(app, today, config),
        lambda: check_countries(app, config.risk),
        lambda: check_address(app),
        lambda: check_document(app, today, config),
        lambda: check_profile(app, config.risk),
        lambda: check_screening(app, hits, config.risk),
        lambda: check_rating(rating),
    ]
    checks = [result for step in steps for result in step()]
    return OnboardingResult(
        outcome=_outcome(checks),
        checks=tuple(checks),
        rating=rating,
        screening_hits=hits,
        decided_at=now,
    )


__all__ = [
    "DEFAULT_ONBOARDING",
    "CheckResult",
    "OnboardingConfig",
    "OnboardingResult",
    "Outcome",
    "Status",
    "age_on",
    "check_address",
    "check_age",
    "check_countries",
    "check_document",
    "check_names",
    "check_profile",
    "check_rating",
    "check_screening",
    "onboard",
    "profile_from_application",
]
