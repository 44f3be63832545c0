"""Customer risk rating: weighted factors, tiers, enhanced due diligence and review dates.

The rating follows the FATF risk-based approach: a customer's money-laundering
risk is the combination of *who* they are (PEP status, occupation), *where*
(residence and nationality), *what* they use (products), *how* they are
served (delivery channels) and *how they behave* against what they declared
(expected vs observed activity), plus adverse information (sanctions
near-matches, past suspicious activity reports).

Each factor maps its input to a risk value 0-1 through a documented table;
its points are ``value x weight`` and the weights add up to 100, so the score
reads as "percent of the worst case". The score gives a tier; some facts set a
*floor* on the tier whatever the score (FATF Recommendation 12 makes a foreign
PEP high risk on its own; a jurisdiction under a call for action is not a
customer the bank may take). Every number is in :class:`RiskConfig`, so a bank
with its own risk appetite changes one object, not the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, Protocol

from finmon.aml.kyc.screening import NameScreener, ScreeningHit
from finmon.aml.kyc.tables import (
    CHANNEL_RISK,
    FATF_CALL_FOR_ACTION,
    FATF_INCREASED_MONITORING,
    PRODUCT_RISK,
    UNKNOWN_CHANNEL_RISK,
    UNKNOWN_PRODUCT_RISK,
    RiskEntry,
    occupation_risk,
)
from finmon.core.currency import get_currency
from finmon.core.errors import ValidationError
from finmon.monitor.reference import COUNTRY_RISK

Tier = Literal["low", "medium", "high", "prohibited"]
TIERS: tuple[Tier, ...] = ("low", "medium", "high", "prohibited")
_RANK: Mapping[str, int] = MappingProxyType({t: i for i, t in enumerate(TIERS)})

FACTORS = (
    "country_residence",
    "country_nationality",
    "pep",
    "occupation",
    "product",
    "channel",
    "activity",
    "adverse",
)

#: Default weights (sum 100). Geography and customer type carry the most, as in the
#: FATF guidance; behaviour against the declared profile is the main ongoing signal.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "country_residence": 20.0,
        "country_nationality": 5.0,
        "pep": 15.0,
        "occupation": 15.0,
        "product": 10.0,
        "channel": 10.0,
        "activity": 15.0,
        "adverse": 10.0,
    }
)


def _default_review_years() -> Mapping[str, int]:
    return MappingProxyType({"low": 3, "medium": 2, "high": 1, "prohibited": 0})


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Every weight, table and cut-off of the rating in one place (see docs/kyc.md).

    Attributes:
        weights: points of each factor at full risk; must add up to 100.
        country_risk: ISO country -> risk 0-1 (default: the monitoring engine's table).
        prohibited_countries: residence or nationality here -> tier ``prohibited``.
        edd_countries: residence or nationality here -> EDD and at least ``edd_country_min_tier``.
        product_risk, channel_risk: keyword tables (unknown keys read as the ``unknown_*`` risk).
        medium_from, high_from: score thresholds of the tiers.
        pep_min_tier: floor for a PEP (FATF R.12: enhanced measures for PEPs).
        activity_elevated_ratio, activity_high_ratio: observed/expected ratios that score
            half and full activity risk; above ``activity_high_ratio`` is also an EDD trigger.
        near_match_score, strong_match_score: screening cut-offs (0-100) for a sanctions
            near-match (adverse factor, EDD) and a strong match (prohibited until cleared).
        sar_full_risk: past SARs that score the full adverse risk (fewer score pro rata).
        review_years: years to the next periodic review by tier (0: review immediately).
        activity_window_days: how far back observed activity is measured.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    country_risk: Mapping[str, float] = field(default_factory=lambda: COUNTRY_RISK)
    prohibited_countries: frozenset[str] = FATF_CALL_FOR_ACTION
    edd_countries: frozenset[str] = FATF_INCREASED_MONITORING
    product_risk: Mapping[str, RiskEntry] = field(default_factory=lambda: PRODUCT_RISK)
    channel_risk: Mapping[str, RiskEntry] = field(default_factory=lambda: CHANNEL_RISK)
    unknown_product_risk: float = UNKNOWN_PRODUCT_RISK
    unknown_channel_risk: float = UNKNOWN_CHANNEL_RISK
    medium_from: float = 20.0
    high_from: float = 40.0
    pep_min_tier: Tier = "high"
    edd_country_min_tier: Tier = "medium"
    activity_elevated_ratio: float = 1.5
    activity_high_ratio: float = 3.0
    near_match_score: float = 80.0
    strong_match_score: float = 95.0
    sar_full_risk: int = 2
    review_years: Mapping[str, int] = field(default_factory=_default_review_years)
    activity_window_days: int = 90

    def __post_init__(self) -> None:
        if set(self.weights) != set(FACTORS):
            raise ValidationError(
                f"weights must name exactly the factors {', '.join(FACTORS)}", field="weights"
            )
        if (
            any(w < 0 for w in self.weights.values())
            or abs(sum(self.weights.values()) - 100) > 1e-9
        ):
            raise ValidationError("weights must be non-negative and add up to 100", field="weights")
        if not 0 < self.medium_from < self.high_from <= 100:
            raise ValidationError("need 0 < medium_from < high_from <= 100", field="high_from")
        if not 0 < self.near_match_score <= self.strong_match_score <= 100:
            raise ValidationError(
                "need 0 < near_match_score <= strong_match_score <= 100", field="near_match_score"
            )
        if set(self.review_years) != set(TIERS) or any(y < 0 for y in self.review_years.values()):
            raise ValidationError(
                "review_years needs a non-negative entry per tier", field="review_years"
            )


DEFAULT_CONFIG = RiskConfig()


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What the bank knows about a customer, as the rating reads it.

    Money is in minor units of ``currency``. ``last_reviewed`` is the last
    completed KYC review (onboarding counts as one).
    """

    customer_id: str
    kind: str = "individual"
    name: str = ""
    date_of_birth: date | None = None
    country: str | None = None
    nationality: str | None = None
    pep: bool = False
    occupation: str | None = None
    products: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    expected_monthly_volume_minor: int | None = None
    expected_monthly_count: int | None = None
    currency: str = "USD"
    past_sars: int = 0
    screening_hits: tuple[ScreeningHit, ...] = ()
    last_reviewed: date | None = None


@dataclass(frozen=True, slots=True)
class ObservedActivity:
    """A customer's transactions over a window: money in and out (minor units), count, channels."""

    inflow_minor: int = 0
    outflow_minor: int = 0
    count: int = 0
    days: int = 90
    channels: tuple[str, ...] = ()

    @property
    def monthly_volume_minor(self) -> int:
        """The larger of money in and out, per 30 days: throughput, what a mule inflates.

        A window shorter than a month is not scaled up: one monthly salary in a
        two-week extract would otherwise read as twice the declared income.
        """
        return max(self.inflow_minor, self.outflow_minor) * 30 // max(self.days, 30)

    @property
    def monthly_count(self) -> float:
        return self.count * 30 / max(self.days, 30)


@dataclass(frozen=True, slots=True)
class Factor:
    """One line of the breakdown: what was seen, its risk 0-1, weight, points and why."""

    name: str
    input: str
    value: float
    weight: float
    points: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": self.input,
            "value": self.value,
            "weight": self.weight,
            "points": self.points,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Trigger:
    """An enhanced-due-diligence trigger: a stable code and the reason in words."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class CustomerRating:
    """A customer's rating: score 0-100, tier, the breakdown, EDD triggers and next review."""

    customer_id: str
    score: float
    tier: Tier
    factors: tuple[Factor, ...]
    floors: tuple[str, ...]
    triggers: tuple[Trigger, ...]
    rated_on: date
    next_review: date
    activity_ratio: float | None = None

    @property
    def last_reviewed(self) -> date:
        """A rating is a review: the schedule counts from it."""
        return self.rated_on

    @property
    def edd(self) -> bool:
        return bool(self.triggers)

    def factor(self, name: str) -> Factor:
        for f in self.factors:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "score": self.score,
            "tier": self.tier,
            "triggers": [t.code for t in self.triggers],
            "trigger_reasons": {t.code: t.reason for t in self.triggers},
            "floors": list(self.floors),
            "rated_on": self.rated_on.isoformat(),
            "next_review": self.next_review.isoformat(),
            "factors": [f.to_dict() for f in self.factors],
        }


# --- factors ------------------------------------------------------------------------------


def _country_factor(code: str | None, what: str, cfg: RiskConfig) -> tuple[str, float, str]:
    if not code:
        return "", 0.0, f"{what} not known"
    risk = cfg.country_risk.get(code, 0.0)
    if code in cfg.prohibited_countries:
        return code, max(risk, 1.0), f"{what} {code} is under a FATF call for action"
    if code in cfg.edd_countries:
        return code, max(risk, 0.6), f"{what} {code} is under FATF increased monitoring"
    if risk > 0:
        return code, risk, f"{what} {code} is a listed higher-risk jurisdiction"
    return code, 0.0, f"{what} {code} is not a listed higher-risk jurisdiction"


def _table_factor(
    keys: tuple[str, ...], table: Mapping[str, RiskEntry], unknown: float, what: str
) -> tuple[str, float, str]:
    """The riskiest of several products or channels: one risky service is enough."""
    if not keys:
        return "", 0.0, f"no {what} known"
    scored = [
        (table[k].value, f"{k}: {table[k].category}")
        if k in table
        else (unknown, f"{k}: not in the {what} table")
        for k in keys
    ]
    value, reason = max(scored, key=lambda s: s[0])
    return ",".join(sorted(set(keys))), value, f"riskiest {what}: {reason}"


def _money(minor: int, currency: str) -> str:
    try:
        exponent = get_currency(currency).exponent
    except Exception:  # an unknown code only affects how the reason prints
        exponent = 2
    return f"{Decimal(minor).scaleb(-exponent):,.{exponent}f} {currency}"


def activity_ratio(profile: CustomerProfile, observed: ObservedActivity | None) -> float | None:
    """Observed over expected monthly activity (the larger of volume and count ratios)."""
    if observed is None:
        return None
    ratios: list[float] = []
    if profile.expected_monthly_volume_minor:
        ratios.append(observed.monthly_volume_minor / profile.expected_monthly_volume_minor)
    if profile.expected_monthly_count:
        ratios.append(observed.monthly_count / profile.expected_monthly_count)
    return max(ratios) if ratios else None


def _activity_factor(
    profile: CustomerProfile, observed: ObservedActivity | None, cfg: RiskConfig
) -> tuple[str, float, str]:
    if observed is None:
        return "", 0.0, "no activity observed yet"
    seen = _money(observed.monthly_volume_minor, profile.currency) + "/month"
    ratio = activity_ratio(profile, observed)
    if ratio is None:
        if observed.count == 0:
            return seen, 0.0, "no expected activity declared and none observed"
        return seen, 0.5, "activity observed but no expected activity declared to compare with"
    text = f"{ratio:.2f}x expected"
    if ratio > cfg.activity_high_ratio:
        return text, 1.0, f"observed {seen} is above {cfg.activity_high_ratio:g}x the declared"
    if ratio > cfg.activity_elevated_ratio:
        return text, 0.5, f"observed {seen} is above {cfg.activity_elevated_ratio:g}x the declared"
    return text, 0.0, f"observed {seen} is within the declared profile"


def _best_sanctions_hit(hits: Iterable[ScreeningHit]) -> ScreeningHit | None:
    sanctions = [h for h in hits if not h.is_pep]
    return max(sanctions, key=lambda h: h.score) if sanctions else None


def _adverse_factor(
    profile: CustomerProfile, hits: tuple[ScreeningHit, ...], cfg: RiskConfig
) -> tuple[str, float, str]:
    parts: list[tuple[float, str]] = []
    best = _best_sanctions_hit(hits)
    if best is not None and best.score >= cfg.near_match_score:
        parts.append(
            (1.0, f"sanctions match {best.score:.0f} to {best.matched_name!r} ({best.list_name})")
        )
    if profile.past_sars > 0:
        parts.append(
            (min(1.0, profile.past_sars / cfg.sar_full_risk), f"{profile.past_sars} past SAR(s)")
        )
    if not parts:
        return "", 0.0, "no sanctions near-match and no past SARs"
    value = max(p[0] for p in parts)
    return "; ".join(p[1] for p in parts), value, "; ".join(p[1] for p in parts)


def _is_pep(profile: CustomerProfile, hits: tuple[ScreeningHit, ...], cfg: RiskConfig) -> str:
    """Why the customer counts as a PEP ("" when not)."""
    if profile.pep:
        return "declared or recorded as a politically exposed person"
    for hit in hits:
        if hit.is_pep and hit.score >= cfg.near_match_score:
            return (
                f"screening matched PEP entry {hit.matched_name!r} "
                f"({hit.list_name}, {hit.score:.0f})"
            )
    return ""


def _factors(
    profile: CustomerProfile,
    observed: ObservedActivity | None,
    hits: tuple[ScreeningHit, ...],
    cfg: RiskConfig,
) -> tuple[Factor, ...]:
    pep_reason = _is_pep(profile, hits, cfg)
    occ_value, occ_reason = occupation_risk(profile.occupation)
    channels = tuple(dict.fromkeys((*profile.channels, *(observed.channels if observed else ()))))
    raw: dict[str, tuple[str, float, str]] = {
        "country_residence": _country_factor(profile.country, "residence", cfg),
        "country_nationality": _country_factor(profile.nationality, "nationality", cfg),
        "pep": ("yes", 1.0, pep_reason) if pep_reason else ("no", 0.0, "not a PEP"),
        "occupation": (profile.occupation or "", occ_value, occ_reason),
        "product": _table_factor(
            profile.products, cfg.product_risk, cfg.unknown_product_risk, "product"
        ),
        "channel": _table_factor(channels, cfg.channel_risk, cfg.unknown_channel_risk, "channel"),
        "activity": _activity_factor(profile, observed, cfg),
        "adverse": _adverse_factor(profile, hits, cfg),
    }
    return tuple(
        Factor(
            name=name,
            input=raw[name][0],
            value=raw[name][1],
            weight=cfg.weights[name],
            points=round(raw[name][1] * cfg.weights[name], 2),
            reason=raw[name][2],
        )
        for name in FACTORS
    )


# --- tier, floors, triggers, reviews ---------------------------------------------------------


def tier_for_score(score: float, cfg: RiskConfig = DEFAULT_CONFIG) -> Tier:
    """The tier the score alone gives (floors may raise it)."""
    if score >= cfg.high_from:
        return "high"
    if score >= cfg.medium_from:
        return "medium"
    return "low"


def _floors(
    profile: CustomerProfile, hits: tuple[ScreeningHit, ...], pep: bool, cfg: RiskConfig
) -> list[tuple[Tier, str]]:
    floors: list[tuple[Tier, str]] = []
    for what, code in (("residence", profile.country), ("nationality", profile.nationality)):
        if code in cfg.prohibited_countries:
            floors.append(("prohibited", f"{what} {code} is under a FATF call for action"))
        elif code in cfg.edd_countries:
            floors.append(
                (cfg.edd_country_min_tier, f"{what} {code} is under increased monitoring")
            )
    best = _best_sanctions_hit(hits)
    if best is not None and best.score >= cfg.strong_match_score:
        floors.append(
            ("prohibited", f"strong sanctions match to {best.matched_name!r} ({best.list_name})")
        )
    if pep:
        floors.append((cfg.pep_min_tier, "politically exposed person"))
    return floors


def _triggers(
    profile: CustomerProfile,
    factors: tuple[Factor, ...],
    tier: Tier,
    ratio: float | None,
    hits: tuple[ScreeningHit, ...],
    cfg: RiskConfig,
) -> tuple[Trigger, ...]:
    by_name = {f.name: f for f in factors}
    found: list[Trigger] = []
    if by_name["pep"].value > 0:
        found.append(Trigger("pep", by_name["pep"].reason))
    for name in ("country_residence", "country_nationality"):
        code = by_name[name].input
        if code and (code in cfg.edd_countries or code in cfg.prohibited_countries):
            found.append(Trigger("high_risk_country", by_name[name].reason))
            break
    if tier in ("high", "prohibited"):
        found.append(Trigger("high_tier", f"risk tier {tier}"))
    if ratio is not None and ratio > cfg.activity_high_ratio:
        found.append(Trigger("activity_above_expected", by_name["activity"].reason))
    best = _best_sanctions_hit(hits)
    if best is not None and best.score >= cfg.near_match_score:
        found.append(
            Trigger(
                "sanctions_near_match",
                f"{best.matched_name!r} on {best.list_name}, {best.score:.0f}",
            )
        )
    if profile.past_sars > 0:
        found.append(Trigger("prior_sar", f"{profile.past_sars} past SAR(s) filed"))
    return tuple(found)


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February falls back to the 28th in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_review_date(tier: Tier, reviewed_on: date, cfg: RiskConfig = DEFAULT_CONFIG) -> date:
    """When the periodic review after one on ``reviewed_on`` falls due for ``tier``."""
    return add_years(reviewed_on, cfg.review_years[tier])


def screen_profile(
    profile: CustomerProfile, screener: NameScreener | None
) -> tuple[ScreeningHit, ...]:
    """Hits already on the profile plus, with a screener and a name, a fresh screening."""
    hits = list(profile.screening_hits)
    if screener is not None and profile.name.strip():
        hits.extend(
            screener.screen(
                profile.name,
                dob=profile.date_of_birth,
                country=profile.nationality or profile.country,
                entity_type=profile.kind,
            )
        )
    return tuple(hits)


def rate_customer(
    profile: CustomerProfile,
    observed: ObservedActivity | None = None,
    *,
    as_of: date,
    config: RiskConfig = DEFAULT_CONFIG,
    screener: NameScreener | None = None,
) -> CustomerRating:
    """Rate one customer as of ``as_of`` (the rating counts as a review on that day)."""
    hits = screen_profile(profile, screener)
    factors = _factors(profile, observed, hits, config)
    score = round(min(100.0, sum(f.points for f in factors)), 2)
    tier = tier_for_score(score, config)
    floors = _floors(profile, hits, factors[FACTORS.index("pep")].value > 0, config)
    for floor, _ in floors:
        if _RANK[floor] > _RANK[tier]:
            tier = floor
    ratio = activity_ratio(profile, observed)
    return CustomerRating(
        customer_id=profile.customer_id,
        score=score,
        tier=tier,
        factors=factors,
        floors=tuple(reason for _, reason in floors),
        triggers=_triggers(profile, factors, tier, ratio, hits, config),
        rated_on=as_of,
        next_review=next_review_date(tier, as_of, config),
        activity_ratio=ratio,
    )


class Reviewable(Protocol):
    """Anything with a customer id, a tier and the date of its last review."""

    @property
    def customer_id(self) -> str: ...

    @property
    def tier(self) -> Tier: ...

    @property
    def last_reviewed(self) -> date: ...


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A customer's review status as a bank's system of record holds it."""

    customer_id: str
    tier: Tier
    last_reviewed: date


@dataclass(frozen=True, slots=True)
class ReviewDue:
    """A customer whose periodic review is due: when it fell due and by how many days it is late."""

    customer_id: str
    tier: Tier
    last_reviewed: date
    due_on: date
    days_overdue: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "tier": self.tier,
            "last_reviewed": self.last_reviewed.isoformat(),
            "due_on": self.due_on.isoformat(),
            "days_overdue": self.days_overdue,
        }


def due_for_review(
    customers: Iterable[Reviewable], as_of: date, config: RiskConfig = DEFAULT_CONFIG
) -> list[ReviewDue]:
    """Customers whose next periodic review falls on or before ``as_of``, most overdue first."""
    due: list[ReviewDue] = []
    for c in customers:
        on = next_review_date(c.tier, c.last_reviewed, config)
        if on <= as_of:
            due.append(ReviewDue(c.customer_id, c.tier, c.last_reviewed, on, (as_of - on).days))
    due.sort(key=lambda d: (d.due_on, -_RANK[d.tier], d.customer_id))
    return due


# --- re-rating -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactorDelta:
    """How one factor moved between two ratings."""

    name: str
    before_points: float
    after_points: float
    delta: float
    before_reason: str
    after_reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before_points": self.before_points,
            "after_points": self.after_points,
            "delta": self.delta,
            "before_reason": self.before_reason,
            "after_reason": self.after_reason,
        }


@dataclass(frozen=True, slots=True)
class Rerating:
    """The outcome of re-rating: the new rating and what changed since the previous one."""

    previous: CustomerRating
    current: CustomerRating
    deltas: tuple[FactorDelta, ...]
    new_triggers: tuple[Trigger, ...]
    cleared_triggers: tuple[Trigger, ...]

    @property
    def score_delta(self) -> float:
        return round(self.current.score - self.previous.score, 2)

    @property
    def tier_changed(self) -> bool:
        return self.current.tier != self.previous.tier

    @property
    def tier_increased(self) -> bool:
        """A move to a riskier tier: the bank must act now, not at the next periodic review."""
        return _RANK[self.current.tier] > _RANK[self.previous.tier]

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.current.customer_id,
            "previous_tier": self.previous.tier,
            "tier": self.current.tier,
            "tier_increased": self.tier_increased,
            "score_delta": self.score_delta,
            "deltas": [d.to_dict() for d in self.deltas],
            "new_triggers": [t.code for t in self.new_triggers],
            "cleared_triggers": [t.code for t in self.cleared_triggers],
            "rating": self.current.to_dict(),
        }


def rerate(
    previous: CustomerRating,
    customer: CustomerProfile,
    observed: ObservedActivity | None,
    *,
    as_of: date,
    config: RiskConfig = DEFAULT_CONFIG,
    screener: NameScreener | None = None,
) -> Rerating:
    """Rate again after behaviour (or the profile) changed and say what moved."""
    current = rate_customer(customer, observed, as_of=as_of, config=config, screener=screener)
    before = {f.name: f for f in previous.factors}
    deltas = tuple(
        FactorDelta(
            f.name,
            before[f.name].points if f.name in before else 0.0,
            f.points,
            round(f.points - (before[f.name].points if f.name in before else 0.0), 2),
            before[f.name].reason if f.name in before else "",
            f.reason,
        )
        for f in current.factors
        if f.name not in before
        or before[f.name].points != f.points
        or before[f.name].reason != f.reason
    )
    old_codes = {t.code for t in previous.triggers}
    new_codes = {t.code for t in current.triggers}
    return Rerating(
        previous=previous,
        current=current,
        deltas=deltas,
        new_triggers=tuple(t for t in current.triggers if t.code not in old_codes),
        cleared_triggers=tuple(t for t in previous.triggers if t.code not in new_codes),
    )


__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "TIERS",
    "CustomerProfile",
    "CustomerRating",
    "Factor",
    "FactorDelta",
    "ObservedActivity",
    "Rerating",
    "ReviewDue",
    "ReviewRecord",
    "Reviewable",
    "RiskConfig",
    "Tier",
    "Trigger",
    "activity_ratio",
    "add_years",
    "due_for_review",
    "next_review_date",
    "rate_customer",
    "rerate",
    "screen_profile",
    "tier_for_score",
]
