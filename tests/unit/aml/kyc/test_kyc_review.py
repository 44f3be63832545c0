"""Periodic review dates, the review-due query and re-rating deltas."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from kyc_doubles import TODAY

from finmon.aml.kyc import (
    CustomerProfile,
    ObservedActivity,
    ReviewRecord,
    RiskConfig,
    due_for_review,
    next_review_date,
    rate_customer,
    rerate,
)
from finmon.aml.kyc.rating import add_years

CLERK = CustomerProfile(
    customer_id="C1",
    country="US",
    occupation="clerk",
    products=("current",),
    expected_monthly_volume_minor=300_000,
)
NORMAL = ObservedActivity(inflow_minor=900_000, count=30, days=90, channels=("card_present",))
SURGE = ObservedActivity(inflow_minor=3_600_000, count=90, days=90, channels=("cash_deposit",))


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("low", date(2029, 6, 15)),
        ("medium", date(2028, 6, 15)),
        ("high", date(2027, 6, 15)),
        ("prohibited", date(2026, 6, 15)),
    ],
)
def test_review_interval_by_tier(tier: str, expected: date) -> None:
    assert next_review_date(tier, TODAY) == expected  # type: ignore[arg-type]


def test_review_intervals_are_configurable() -> None:
    cfg = RiskConfig(review_years={"low": 5, "medium": 3, "high": 1, "prohibited": 0})
    assert next_review_date("low", TODAY, cfg) == date(2031, 6, 15)


def test_leap_day_falls_back_to_28_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_due_for_review_includes_the_due_day_and_sorts_most_overdue_first() -> None:
    records = [
        ReviewRecord("low-due", "low", date(2023, 6, 15)),
        ReviewRecord("low-not-yet", "low", date(2023, 6, 16)),
        ReviewRecord("high-late", "high", date(2024, 1, 1)),
        ReviewRecord("medium-ok", "medium", date(2025, 1, 1)),
    ]
    due = due_for_review(records, TODAY)
    assert [d.customer_id for d in due] == ["high-late", "low-due"]
    assert due[0].due_on == date(2025, 1, 1)
    assert due[0].days_overdue == (TODAY - date(2025, 1, 1)).days
    assert due[1].days_overdue == 0


def test_ratings_are_reviewable_themselves() -> None:
    rating = rate_customer(CLERK, as_of=date(2020, 1, 1))
    assert [d.customer_id for d in due_for_review([rating], TODAY)] == ["C1"]
    assert due_for_review([rating], date(2022, 12, 31)) == []


def test_rerate_reports_factor_deltas_and_flags_a_tier_increase() -> None:
    before = rate_customer(CLERK, NORMAL, as_of=date(2026, 1, 1))
    assert before.tier == "low"
    result = rerate(before, CLERK, SURGE, as_of=TODAY)
    assert result.current.tier == "medium"
    assert result.tier_increased
    assert result.tier_changed
    deltas = {d.name: d for d in result.deltas}
    assert set(deltas) == {"activity", "channel"}
    assert deltas["activity"].delta == pytest.approx(15.0)
    assert deltas["channel"].delta == pytest.approx(6.0)
    assert "within the declared profile" in deltas["activity"].before_reason
    assert result.score_delta == pytest.approx(21.0)
    assert [t.code for t in result.new_triggers] == ["activity_above_expected"]
    assert result.current.next_review == date(2028, 6, 15)
    assert result.to_dict()["tier_increased"] is True


def test_rerate_down_clears_triggers_and_is_no_increase() -> None:
    before = rate_customer(CLERK, SURGE, as_of=date(2026, 1, 1))
    result = rerate(before, CLERK, NORMAL, as_of=TODAY)
    assert not result.tier_increased
    assert result.tier_changed
    assert [t.code for t in result.cleared_triggers] == ["activity_above_expected"]


def test_rerate_with_no_change_has_no_deltas() -> None:
    before = rate_customer(CLERK, NORMAL, as_of=date(2026, 1, 1))
    result = rerate(before, CLERK, NORMAL, as_of=TODAY)
    assert result.deltas == ()
    assert not result.tier_changed


def test_rerate_picks_up_profile_changes_too() -> None:
    before = rate_customer(CLERK, NORMAL, as_of=date(2026, 1, 1))
    result = rerate(before, replace(CLERK, pep=True), NORMAL, as_of=TODAY)
    assert result.current.tier == "high"
    assert {d.name for d in result.deltas} == {"pep"}
    assert {t.code for t in result.new_triggers} == {"pep", "high_tier"}
