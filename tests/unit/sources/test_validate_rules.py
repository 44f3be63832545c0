"""Every validation rule, on its good and bad side, through the public entry point."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from finmon.sources.validate import TransactionValidator, validate_rows


def _problems(row: dict[str, Any]) -> list[tuple[str, str]]:
    result = validate_rows([row])
    return [(p.field, p.reason) for p in result.problems()]


def test_a_good_row_is_clean_and_canonical(good_row: dict[str, Any]) -> None:
    result = validate_rows([good_row])
    assert result.problems() == []
    (row,) = result.rows
    assert row["occurred_at"] == datetime(2026, 1, 5, 10, 15, tzinfo=UTC)
    assert row["amount"] == "12.50"
    assert row["customer_id"] == "acct-1"  # no owner known: the account stands for it
    assert "channel" not in row  # a missing optional column is empty, not invented


@pytest.mark.parametrize(
    "name", ["transaction_id", "occurred_at", "account_id", "direction", "amount", "currency"]
)
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_every_required_field_must_be_present(
    good_row: dict[str, Any], name: str, empty: Any
) -> None:
    good_row[name] = empty
    assert _problems(good_row) == [(name, "is required and is empty")]


@pytest.mark.parametrize("name", ["transaction_id", "amount"])
def test_a_required_column_absent_from_the_input_names_it(
    good_row: dict[str, Any], name: str
) -> None:
    del good_row[name]
    assert _problems(good_row) == [(name, "is required; the input has no such column")]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("occurred_at", "2026-01-05T10:15:00", "has no time zone"),
        ("occurred_at", "2026-02-30T10:00:00Z", "day is out of range"),
        ("occurred_at", "yesterday", "is not an ISO 8601 date and time"),
        ("direction", "out", "is not one of: debit, credit"),
        ("amount", "-5.00", "is negative"),
        ("amount", "0.00", "is zero"),
        ("amount", "1,000.00", "not a plain decimal number"),
        ("amount", "1e3", "not a plain decimal number"),
        ("amount", "+5", "not a plain decimal number"),
        ("amount", "12.345", "more decimal places than USD allows (2)"),
        ("currency", "ZZZ", "not a known ISO 4217 currency code"),
        ("currency", "usd", "must be written in capitals"),
        ("currency", "XAU", "no minor units"),
        ("channel", "telepathy", "is not one of: card_present"),
        ("merchant_category", "541", "4-digit ISO 18245"),
        ("merchant_category", "54111", "4-digit ISO 18245"),
        ("merchant_country", "gb", "ISO 3166-1 alpha-2"),
        ("counterparty_country", "GBR", "ISO 3166-1 alpha-2"),
        ("latitude", "90.5", "outside [-90, 90]"),
        ("latitude", "north", "not a decimal number"),
        ("longitude", "-180.01", "outside [-180, 180]"),
        ("longitude", float("nan"), "outside [-180, 180]"),
        ("ip_address", "999.1.1.1", "not an IPv4 or IPv6 address"),
        ("ip_address", "010.1.1.1", "not an IPv4 or IPv6 address"),
        ("ip_address", "fe80::zz", "not an IPv4 or IPv6 address"),
    ],
)
def test_each_rule_names_field_and_reason(
    good_row: dict[str, Any], field: str, value: Any, fragment: str
) -> None:
    good_row[field] = value
    problems = _problems(good_row)
    assert len(problems) == 1, problems
    assert problems[0][0] == field
    assert fragment in problems[0][1]


@pytest.mark.parametrize(
    ("field", "value", "clean"),
    [
        ("occurred_at", "2026-01-05T12:15:00+02:00", datetime(2026, 1, 5, 10, 15, tzinfo=UTC)),
        ("occurred_at", "2026-01-05 10:15:00.5Z", datetime(2026, 1, 5, 10, 15, 0, 500000, UTC)),
        (
            "occurred_at",
            datetime(2026, 1, 5, 10, 15, tzinfo=UTC),
            datetime(2026, 1, 5, 10, 15, tzinfo=UTC),
        ),
        ("amount", "12.5", "12.50"),
        ("amount", "12.500", "12.50"),
        ("amount", "007.10", "7.10"),
        ("amount", 12, "12.00"),
        ("amount", Decimal("0.01"), "0.01"),
        ("ip_address", "2001:db8::1", "2001:db8::1"),
        ("latitude", "-33.8688", -33.8688),
        ("latitude", 51, 51.0),
        ("channel", "", None),
    ],
)
def test_values_are_normalised_exactly(
    good_row: dict[str, Any], field: str, value: Any, clean: Any
) -> None:
    good_row[field] = value
    result = validate_rows([good_row])
    assert result.problems() == []
    assert result.rows[0].get(field) == clean


def test_exponents_follow_the_currency(good_row: dict[str, Any]) -> None:
    rows = [
        {**good_row, "transaction_id": "a", "currency": "JPY", "amount": "1500"},
        {**good_row, "transaction_id": "b", "currency": "JPY", "amount": "1500.5"},
        {**good_row, "transaction_id": "c", "currency": "BHD", "amount": "1.125"},
    ]
    result = validate_rows(rows)
    assert [r["amount"] for r in result.rows] == ["1500", "1.125"]
    assert [(p.row, p.field) for p in result.problems()] == [(2, "amount")]


def test_a_float_amount_is_refused_not_rounded(good_row: dict[str, Any]) -> None:
    good_row["amount"] = 0.1
    ((field, reason),) = _problems(good_row)
    assert field == "amount"
    assert "binary floating-point" in reason


def test_a_float_id_is_refused(good_row: dict[str, Any]) -> None:
    good_row["merchant_category"] = 5411.0
    ((field, reason),) = _problems(good_row)
    assert field == "merchant_category"
    assert "text is expected" in reason


def test_unknown_columns_are_ignored(good_row: dict[str, Any]) -> None:
    good_row["core_banking_flag"] = "Z9"
    result = validate_rows([good_row])
    assert result.problems() == []
    assert "core_banking_flag" not in result.rows[0]


def test_all_problems_of_a_row_are_listed(good_row: dict[str, Any]) -> None:
    good_row.update(direction="sideways", amount="abc", merchant_country="xx")
    assert [f for f, _ in _problems(good_row)] == ["direction", "amount", "merchant_country"]


def test_duplicate_is_a_problem_of_the_second_occurrence_across_batches(
    good_row: dict[str, Any],
) -> None:
    validator = TransactionValidator()
    first = validator.validate_rows([good_row], first_row=1)
    second = validator.validate_rows([{**good_row, "transaction_id": "tx-2"}, good_row], 2)
    assert first.problems() == []
    ((problem),) = second.problems()
    assert (problem.row, problem.field, problem.code) == (3, "transaction_id", "duplicate")
    assert "first seen at row 1" in problem.reason


def test_customer_defaults_to_the_owner_then_the_account(good_row: dict[str, Any]) -> None:
    rows = [
        good_row,
        {**good_row, "transaction_id": "tx-2", "account_id": "acct-9"},
        {**good_row, "transaction_id": "tx-3", "customer_id": "given"},
    ]
    result = validate_rows(rows, owners={"acct-1": "cust-1"})
    assert [r["customer_id"] for r in result.rows] == ["cust-1", "acct-9", "given"]
