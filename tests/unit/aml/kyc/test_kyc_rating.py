"""Risk rating: factor arithmetic, tiers and floors, EDD triggers, configuration."""

from __future__ import annotations

from dataclasses import replace

import pytest
from kyc_doubles import TODAY, ExactNameScreener

from finmon.aml.kyc import (
    DEFAULT_WEIGHTS,
    FACTORS,
    CustomerProfile,
    ObservedActivity,
    RiskConfig,
    ScreeningHit,
    rate_customer,
)
from finmon.aml.kyc.rating import tier_for_score
from finmon.aml.kyc.tables import occupation_risk
from finmon.core.errors import ValidationError

CLERK = CustomerProfile(
    customer_id="C1",
    name="Ana Lopez",
    country="US",
    nationality="US",
    occupation="clerk",
    products=("current",),
    expected_monthly_volume_minor=300_000,
)


def _codes(profile: CustomerProfile, observed: ObservedActivity | None = None) -> set[str]:
    return {t.code for t in rate_customer(profile, observed, as_of=TODAY).triggers}


def test_weights_add_up_to_100_and_cover_every_factor() -> None:
    assert set(DEFAULT_WEIGHTS) == set(FACTORS)
    assert sum(DEFAULT_WEIGHTS.values()) == 100


def test_low_risk_clerk_breakdown_is_value_times_weight() -> None:
    rating = rate_customer(CLERK, as_of=TODAY)
    assert [f.name for f in rating.factors] == list(FACTORS)
    for f in rating.factors:
        assert f.points == pytest.approx(f.value * f.weight)
        assert f.reason
    assert rating.factor("occupation").points == pytest.approx(0.2 * 15)
    assert rating.factor("product").points == pytest.approx(0.1 * 10)
    assert rating.score == pytest.approx(4.0)
    assert rating.tier == "low"
    assert rating.triggers == ()
    assert rating.floors == ()


def test_cash_business_in_grey_list_country_is_medium_with_edd() -> None:
    profile = CustomerProfile(
        customer_id="B1",
        kind="business",
        country="NG",
        occupation="Laundromat",
        products=("business_current",),
        channels=("cash_deposit",),
    )
    rating = rate_customer(profile, as_of=TODAY)
    assert rating.factor("country_residence").points == pytest.approx(12.0)
    assert rating.factor("occupation").points == pytest.approx(10.5)
    assert rating.factor("product").points == pytest.approx(4.0)
    assert rating.factor("channel").points == pytest.approx(6.0)
    assert rating.score == pytest.approx(32.5)
    assert rating.tier == "medium"
    assert {t.code for t in rating.triggers} == {"high_risk_country"}
    assert "increased monitoring" in rating.factor("country_residence").reason


def test_high_tier_from_score() -> None:
    profile = CustomerProfile(
        customer_id="M1",
        kind="business",
        country="AE",
        occupation="money transmitter",
        products=("international_wire",),
        channels=("intermediary",),
        expected_monthly_volume_minor=1_000_000,
    )
    observed = ObservedActivity(inflow_minor=12_000_000, outflow_minor=11_000_000, days=90)
    rating = rate_customer(profile, observed, as_of=TODAY)
    assert rating.score == pytest.approx(8 + 15 + 7 + 7 + 15)
    assert rating.tier == "high"
    assert {t.code for t in rating.triggers} == {"high_tier", "activity_above_expected"}
    assert rating.activity_ratio == pytest.approx(4.0)


def test_pep_floor_makes_a_low_score_high() -> None:
    rating = rate_customer(replace(CLERK, pep=True), as_of=TODAY)
    assert rating.score < 20
    assert rating.tier == "high"
    assert rating.floors == ("politically exposed person",)
    assert {t.code for t in rating.triggers} == {"pep", "high_tier"}


def test_pep_floor_is_configurable() -> None:
    cfg = RiskConfig(pep_min_tier="medium")
    assert rate_customer(replace(CLERK, pep=True), as_of=TODAY, config=cfg).tier == "medium"


@pytest.mark.parametrize("change", [{"country": "IR"}, {"nationality": "KP"}, {"country": "MM"}])
def test_call_for_action_country_is_prohibited(change: dict[str, str]) -> None:
    rating = rate_customer(replace(CLERK, **change), as_of=TODAY)
    assert rating.tier == "prohibited"
    assert "call for action" in rating.floors[0]
    assert "high_risk_country" in {t.code for t in rating.triggers}


def test_strong_sanctions_match_is_prohibited() -> None:
    hit = ScreeningHit("ofac_sdn", "1", "Ana LOPEZ", 97.0)
    rating = rate_customer(replace(CLERK, screening_hits=(hit,)), as_of=TODAY)
    assert rating.tier == "prohibited"
    assert rating.factor("adverse").points == 10
    assert "sanctions_near_match" in {t.code for t in rating.triggers}


def test_near_match_scores_adverse_but_is_not_prohibited() -> None:
    hit = ScreeningHit("un", "2", "Anna Lopes", 82.0)
    rating = rate_customer(replace(CLERK, screening_hits=(hit,)), as_of=TODAY)
    assert rating.factor("adverse").value == 1.0
    assert rating.tier == "low"
    assert {t.code for t in rating.triggers} == {"sanctions_near_match"}


def test_hit_below_near_match_is_ignored() -> None:
    hit = ScreeningHit("un", "2", "Anne Lord", 79.9)
    assert _codes(replace(CLERK, screening_hits=(hit,))) == set()


def test_screener_pep_hit_counts_as_pep() -> None:
    screener = ExactNameScreener({"ana lopez": ("pep", "P1", True)})
    rating = rate_customer(CLERK, as_of=TODAY, screener=screener)
    assert rating.factor("pep").value == 1.0
    assert "P1" not in rating.factor("pep").reason
    assert rating.tier == "high"


@pytest.mark.parametrize(("sars", "points"), [(0, 0.0), (1, 5.0), (2, 10.0), (5, 10.0)])
def test_past_sars_scale_the_adverse_factor(sars: int, points: float) -> None:
    rating = rate_customer(replace(CLERK, past_sars=sars), as_of=TODAY)
    assert rating.factor("adverse").points == pytest.approx(points)
    assert ("prior_sar" in {t.code for t in rating.triggers}) is (sars > 0)


@pytest.mark.parametrize(
    ("inflow", "value"),
    [(900_000, 0.0), (1_350_000, 0.0), (1_800_000, 0.5), (2_700_000, 0.5), (2_700_300, 1.0)],
)
def test_activity_ratio_bands(inflow: int, value: float) -> None:
    observed = ObservedActivity(inflow_minor=inflow, days=90)
    rating = rate_customer(CLERK, observed, as_of=TODAY)
    assert rating.factor("activity").value == value
    assert ("activity_above_expected" in {t.code for t in rating.triggers}) is (value == 1.0)


def test_activity_uses_the_larger_of_in_and_out_and_the_count_ratio() -> None:
    out_heavy = ObservedActivity(inflow_minor=0, outflow_minor=3_000_000, days=90)
    assert rate_customer(CLERK, out_heavy, as_of=TODAY).activity_ratio == pytest.approx(10 / 3)
    busy = ObservedActivity(inflow_minor=100, count=400, days=30)
    profile = replace(CLERK, expected_monthly_count=100)
    assert rate_customer(profile, busy, as_of=TODAY).activity_ratio == pytest.approx(4.0)


def test_short_windows_are_not_scaled_up() -> None:
    observed = ObservedActivity(inflow_minor=600_000, days=14)
    assert observed.monthly_volume_minor == 600_000
    assert ObservedActivity(inflow_minor=600_000, days=60).monthly_volume_minor == 300_000


def test_activity_without_declared_expectation_is_moderate() -> None:
    profile = replace(CLERK, expected_monthly_volume_minor=None)
    observed = ObservedActivity(inflow_minor=1000, count=3)
    rating = rate_customer(profile, observed, as_of=TODAY)
    assert rating.factor("activity").value == 0.5
    assert rating.activity_ratio is None
    assert rate_customer(profile, ObservedActivity(), as_of=TODAY).factor("activity").value == 0


def test_channels_merge_declared_and_observed_and_the_riskiest_counts() -> None:
    profile = replace(CLERK, channels=("branch",))
    observed = ObservedActivity(inflow_minor=1, count=1, channels=("card_present", "wire"))
    factor = rate_customer(profile, observed, as_of=TODAY).factor("channel")
    assert factor.value == 0.6
    assert "wire" in factor.reason


def test_unknown_product_is_moderate_not_low() -> None:
    factor = rate_customer(replace(CLERK, products=("moon_bond",)), as_of=TODAY).factor("product")
    assert factor.value == 0.5
    assert "not in the product table" in factor.reason


@pytest.mark.parametrize(
    ("occupation", "value"),
    [
        ("Bureau de change", 1.0),
        ("crypto exchange operator", 1.0),
        ("casino", 1.0),
        ("firearms dealer", 1.0),
        ("jeweller", 1.0),
        ("real estate agent", 0.8),
        ("used car dealer", 0.8),
        ("car wash", 0.7),
        ("lawyer", 0.6),
        ("charity", 0.6),
        ("nurse", 0.2),
        ("", 0.5),
        (None, 0.5),
    ],
)
def test_occupation_table(occupation: str | None, value: float) -> None:
    assert occupation_risk(occupation)[0] == value


@pytest.mark.parametrize(
    ("score", "tier"), [(0, "low"), (19.99, "low"), (20, "medium"), (39.99, "medium"), (40, "high")]
)
def test_tier_thresholds(score: float, tier: str) -> None:
    assert tier_for_score(score) == tier


def test_custom_weights_change_the_points() -> None:
    weights = dict(DEFAULT_WEIGHTS, occupation=25.0, adverse=0.0)
    rating = rate_customer(CLERK, as_of=TODAY, config=RiskConfig(weights=weights))
    assert rating.factor("occupation").points == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weights": dict(DEFAULT_WEIGHTS, pep=50.0)}, "weights"),
        ({"weights": {"pep": 100.0}}, "weights"),
        ({"medium_from": 50.0, "high_from": 40.0}, "high_from"),
        ({"near_match_score": 99.0, "strong_match_score": 90.0}, "near_match_score"),
        ({"review_years": {"low": 3}}, "review_years"),
    ],
)
def test_bad_config_is_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        RiskConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_rating_serialises_every_factor() -> None:
    data = rate_customer(CLERK, as_of=TODAY).to_dict()
    assert data["next_review"] == "2029-06-15"
    assert [f["name"] for f in data["factors"]] == list(FACTORS)
    assert set(data["factors"][0]) == {"name", "input", "value", "weight", "points", "reason"}
