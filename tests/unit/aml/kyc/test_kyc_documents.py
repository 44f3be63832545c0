"""Document number formats per type and issuing country."""

from __future__ import annotations

import pytest

from finmon.aml.kyc.tables import (
    DOCUMENT_RULES,
    DocumentRule,
    document_rule,
    normalise_document_number,
)


@pytest.mark.parametrize(
    ("doc", "country", "number", "ok"),
    [
        ("passport", "FR", "12AB34567", True),
        ("passport", None, "X12345", True),
        ("passport", "FR", "12345", False),
        ("passport", "FR", "1234567890", False),
        ("passport", "FR", "AB-12345", False),
        ("passport", "US", "123456789", True),
        ("passport", "US", "A12345678", True),
        ("passport", "US", "AB1234567", False),
        ("passport", "GB", "123456789", True),
        ("passport", "GB", "12345678A", False),
        ("passport", "IN", "A1234567", True),
        ("passport", "IN", "12345678", False),
        ("passport", "DE", "C01X00T47", True),
        ("passport", "DE", "A01X00T47", False),
        ("national_id", "ES", "12345678z", True),
        ("national_id", "ES", "12345678A", False),
        ("national_id", "NL", "111222333", True),
        ("national_id", "NL", "111222334", False),
        ("national_id", "IN", "234567890123", True),
        ("national_id", "IN", "123456789012", False),
        ("national_id", "US", "123-45-6789", True),
        ("national_id", "US", "666-12-3456", False),
        ("national_id", "US", "900-12-3456", False),
        ("national_id", "US", "123-00-6789", False),
        ("national_id", "FR", "X4RTBPFW4", True),
        ("national_id", "FR", "AB", False),
        ("driving_licence", "GB", "MORGA753116SM9IJ", True),
        ("driving_licence", "GB", "MORGA753116SM9I1", False),
        ("driving_licence", "US", "D1234567", True),
        ("company_registration", "GB", "01234567", True),
        ("company_registration", "GB", "SC123456", True),
        ("company_registration", "GB", "ABC12345", False),
        ("company_registration", "US", "12-3456789", True),
        ("company_registration", "US", "1234", False),
        ("company_registration", "DE", "HRB 12345", True),
    ],
)
def test_document_formats(doc: str, country: str | None, number: str, ok: bool) -> None:
    rule = document_rule(doc, country)
    assert rule is not None
    assert rule.accepts(normalise_document_number(number)) is ok


def test_country_rule_wins_and_default_covers_the_rest() -> None:
    us = document_rule("passport", "US")
    fr = document_rule("passport", "FR")
    assert us is not None
    assert us.country == "US"
    assert fr is not None
    assert fr.country is None
    assert document_rule("visa", "US") is None


def test_the_table_is_extensible() -> None:
    rules = (*DOCUMENT_RULES, DocumentRule("passport", "FR", r"[0-9]{2}[A-Z]{2}[0-9]{5}", "FR"))
    rule = document_rule("passport", "FR", rules)
    assert rule is not None
    assert rule.country == "FR"
    assert rule.accepts("12AB34567")
    assert not rule.accepts("123456789")


def test_normalisation_removes_spaces_and_upper_cases() -> None:
    assert normalise_document_number(" ab 12\t34 ") == "AB1234"
