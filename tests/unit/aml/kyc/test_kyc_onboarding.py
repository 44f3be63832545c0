"""Onboarding checks: each check passes and fails with its field named; the outcome follows."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from kyc_doubles import NOW, ExactNameScreener, FixedScreener, business, clock, individual

from finmon.aml.kyc import ScreeningHit, onboard, parse_application
from finmon.aml.kyc.onboarding import OnboardingResult, age_on
from finmon.core.errors import ValidationError


def _run(data: dict[str, Any], screener: Any = None) -> OnboardingResult:
    return onboard(parse_application(data), clock=clock(), screener=screener)


def test_clean_individual_is_approved_with_every_check_passed() -> None:
    result = _run(individual())
    assert result.outcome == "approve", [c for c in result.checks if c.status != "pass"]
    assert {c.check for c in result.checks} >= {
        "name", "age", "country", "address", "document", "profile", "sanctions", "pep", "risk",
    }  # fmt: skip
    assert result.decided_at == NOW
    assert result.rating.tier == "low"
    orjson.dumps(result.to_dict())


def test_clean_business_is_approved() -> None:
    result = _run(business())
    assert result.outcome == "approve", [c for c in result.checks if c.status != "pass"]
    assert result.result("name").field == "legal_name"
    assert not [c for c in result.checks if c.check == "age"]


@pytest.mark.parametrize(
    ("changes", "check", "field", "status"),
    [
        ({"given_names": ""}, "name", "given_names", "fail"),
        ({"family_name": "Sm1th"}, "name", "family_name", "fail"),
        ({"family_name": "!!!"}, "name", "family_name", "fail"),
        ({"family_name": "x" * 141}, "name", "family_name", "fail"),
        ({"date_of_birth": None}, "age", "date_of_birth", "fail"),
        ({"nationality": "XX"}, "country", "nationality", "fail"),
        ({"nationality": ""}, "country", "nationality", "fail"),
        ({"nationality": "KP"}, "country", "nationality", "fail"),
        ({"country_of_residence": "IR"}, "country", "country_of_residence", "fail"),
        ({"country_of_residence": "NG"}, "country", "country_of_residence", "refer"),
        ({"address": {"line1": "", "city": "X"}}, "address", "address.line1", "fail"),
        ({"address": {"line1": "1 A St", "city": ""}}, "address", "address.city", "fail"),
        (
            {"address": {"line1": "1 A St", "city": "X", "country": "ZZ"}},
            "address",
            "address.country",
            "fail",
        ),
        ({"document_type": ""}, "document", "document_type", "fail"),
        ({"document_type": "visa"}, "document", "document_type", "fail"),
        ({"document_type": "company_registration"}, "document", "document_type", "fail"),
        ({"document_number": ""}, "document", "document_number", "fail"),
        ({"document_number": "12345"}, "document", "document_number", "fail"),
        ({"document_country": ""}, "document", "document_country", "fail"),
        ({"document_country": "QQ"}, "document", "document_country", "fail"),
        ({"document_expiry": "2026-06-14"}, "document", "document_expiry", "fail"),
        ({"occupation": ""}, "profile", "occupation", "fail"),
        (
            {"expected_monthly_volume_minor": None},
            "profile",
            "expected_monthly_volume_minor",
            "fail",
        ),
        ({"currency": "XYZ"}, "profile", "currency", "fail"),
        ({"products": []}, "profile", "products", "fail"),
        ({"products": ["spaceship"]}, "profile", "products", "fail"),
        ({"channels": []}, "profile", "channels", "fail"),
        ({"channels": ["carrier_pigeon"]}, "profile", "channels", "fail"),
        ({"pep_declared": True}, "pep", "pep_declared", "refer"),
    ],
)
def test_each_check_names_its_field(
    changes: dict[str, Any], check: str, field: str, status: str
) -> None:
    result = _run(individual(**changes))
    got = result.result(check, field)
    assert got.status == status, got
    assert got.field == field
    assert got.reason
    assert result.outcome == ("reject" if status == "fail" else "refer")


@pytest.mark.parametrize(
    "changes",
    [
        {"family_name": "O'Brien-Smith"},
        {"given_names": "Jean-Luc", "family_name": "Picard Jr."},
        {"given_names": "Иван", "family_name": "Петров"},
        {"given_names": "محمد", "family_name": "علي"},
        {"given_names": "伟", "family_name": "王"},
        {"document_expiry": None},
    ],
)
def test_plausible_variants_pass(changes: dict[str, Any]) -> None:
    assert _run(individual(**changes)).outcome == "approve"


@pytest.mark.parametrize(
    ("born", "status", "words"),
    [
        ("2008-06-16", "fail", "17, under the minimum age 18"),
        ("2008-06-15", "pass", "18"),
        ("1906-06-15", "pass", "120"),
        ("1906-06-14", "pass", "120"),
        ("1905-06-15", "fail", "121 is over 120"),
        ("2026-06-16", "fail", "in the future"),
        ("2026-06-15", "fail", "0, under"),
    ],
)
def test_age_edges(born: str, status: str, words: str) -> None:
    got = _run(individual(date_of_birth=born)).result("age", "date_of_birth")
    assert got.status == status
    assert words in got.reason


def test_age_on_counts_birthdays_on_the_day() -> None:
    from datetime import date

    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18


def test_business_needs_a_legal_name_and_registration() -> None:
    result = _run(business(legal_name="", document_type="passport", document_number="123456789"))
    assert result.result("name", "legal_name").status == "fail"
    assert result.result("document", "document_type").status == "fail"
    assert result.outcome == "reject"


def test_exact_sanctions_hit_rejects_and_names_the_entry() -> None:
    screener = ExactNameScreener({"MARIA ELENA GARCÍA": ("ofac_sdn", "SDN-1", False)})
    result = _run(individual(), screener)
    got = result.result("sanctions")
    assert got.status == "fail"
    assert got.field == "family_name"
    assert "SDN-1" in got.reason
    assert result.outcome == "reject"
    assert result.rating.tier == "prohibited"
    assert screener.calls[0]["country"] == "US"
    assert screener.calls[0]["type"] == "individual"


def test_near_sanctions_match_refers() -> None:
    hit = ScreeningHit("un", "UN-7", "Maria Garsia", 85.0)
    result = _run(individual(), FixedScreener(hit))
    assert result.result("sanctions").status == "refer"
    assert result.outcome == "refer"
    assert "sanctions_near_match" in {t.code for t in result.rating.triggers}


def test_weak_hit_below_near_match_passes() -> None:
    hit = ScreeningHit("un", "UN-7", "Marion Garde", 60.0)
    assert _run(individual(), FixedScreener(hit)).outcome == "approve"


def test_pep_list_match_refers_for_edd() -> None:
    screener = ExactNameScreener({"Maria Elena Garcia": ("pep", "PEP-3", True)})
    result = _run(individual(), screener)
    got = result.result("pep")
    assert got.status == "refer"
    assert "Maria Elena Garcia" in got.reason
    assert result.rating.tier == "high"
    assert {t.code for t in result.rating.triggers} >= {"pep", "high_tier"}
    assert result.outcome == "refer"


def test_high_risk_profile_is_referred_through_the_rating() -> None:
    data = business(
        occupation="money transmitter",
        country_of_residence="AE",
        address={"line1": "1 Road", "city": "Dubai", "country": "AE"},
        document_country="AE",
        document_number="CN-12345",
        products=["international_wire", "correspondent"],
        channels=["intermediary"],
    )
    result = _run(data)
    got = result.result("risk", "risk_tier")
    assert got.status == "refer"
    assert result.rating.tier == "high"
    assert result.outcome == "refer"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (individual(date_of_birth="not a date"), "date_of_birth"),
        (individual(expected_monthly_volume_minor=-1), "expected_monthly_volume_minor"),
        (individual(expected_monthly_volume_minor=1.5), "expected_monthly_volume_minor"),
        (individual(favourite_colour="blue"), "favourite_colour"),
        (individual(kind="robot"), "kind"),
        (individual(address={"line1": "x", "planet": "Mars"}), "address.planet"),
    ],
)
def test_malformed_application_raises_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_application(data)
    assert info.value.field == field


def test_non_object_application_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        parse_application(["not", "an", "object"])
    assert info.value.field == "application"
