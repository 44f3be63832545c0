"""The error hierarchy carries codes and fields as data, so callers never parse messages."""

from __future__ import annotations

import pytest

from finmon.core.errors import (
    ConflictError,
    FinmonError,
    ForbiddenError,
    IntegrityError,
    NotFoundError,
    Problem,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (ValidationError, "validation_error"),
        (NotFoundError, "not_found"),
        (ConflictError, "conflict"),
        (UnauthorizedError, "unauthorized"),
        (ForbiddenError, "forbidden"),
        (UnavailableError, "unavailable"),
        (IntegrityError, "integrity_error"),
    ],
)
def test_every_error_is_a_finmon_error_with_its_code(cls: type[FinmonError], code: str) -> None:
    error = cls("boom")
    assert isinstance(error, FinmonError)
    assert error.code == code
    assert error.to_dict() == {"code": code, "message": "boom"} | (
        {"problems": [{"field": "", "reason": "boom", "code": code}]}
        if cls is ValidationError
        else {}
    )


def test_code_and_field_can_be_overridden_per_instance() -> None:
    error = NotFoundError("no account", field="account_id", code="unknown_account")
    assert error.code == "unknown_account"
    assert error.field == "account_id"
    assert NotFoundError.code == "not_found"
    assert error.to_dict() == {
        "code": "unknown_account",
        "message": "no account",
        "field": "account_id",
    }


def test_validation_error_without_problems_makes_one_from_itself() -> None:
    error = ValidationError("too big", field="amount", code="precision")
    assert error.problems == [Problem("amount", "too big", "precision")]


def test_from_problems_lists_all_and_blames_the_first_field() -> None:
    problems = [Problem("a", "missing", "missing"), Problem("b.c", "not a number")]
    error = ValidationError.from_problems("bad input", problems)
    assert error.field == "a"
    assert error.message == "bad input: a: missing; b.c: not a number"
    assert error.to_dict()["problems"] == [
        {"field": "a", "reason": "missing", "code": "missing"},
        {"field": "b.c", "reason": "not a number", "code": "invalid"},
    ]


def test_problem_without_field_prints_only_the_reason() -> None:
    assert str(Problem("", "empty body")) == "empty body"
    assert str(Problem("x", "bad")) == "x: bad"


def test_problem_is_immutable() -> None:
    problem = Problem("x", "bad")
    with pytest.raises(AttributeError):
        problem.field = "y"  # type: ignore[misc]
