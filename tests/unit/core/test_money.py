"""Money is exact: no floats in, no silent rounding, no mixing currencies."""

from __future__ import annotations

import copy
import pickle
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

import pytest

from finmon.core.currency import get_currency, register_currency
from finmon.core.errors import ValidationError
from finmon.core.money import Money, allocate, sum_money

USD = get_currency("USD")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


# -- construction -----------------------------------------------------------


def test_constructor_takes_minor_units_and_a_currency_or_code() -> None:
    money = Money(1234, "usd")
    assert money.minor == 1234
    assert money.currency is USD
    assert Money(1234, USD) == money


@pytest.mark.parametrize("bad", [12.34, 1.0, float("nan")])
def test_constructor_refuses_floats(bad: float) -> None:
    with pytest.raises(ValidationError, match="float") as caught:
        Money(bad, "USD")  # type: ignore[arg-type]
    assert caught.value.field == "amount"
    assert caught.value.code == "float_refused"


@pytest.mark.parametrize("bad", [True, Decimal(12), "12", None])
def test_constructor_refuses_non_int_minor_units(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(bad, "USD")  # type: ignore[arg-type]
    assert caught.value.field == "amount"


def test_constructor_refuses_unknown_currency() -> None:
    with pytest.raises(ValidationError) as caught:
        Money(1, "ABC")
    assert caught.value.code == "unknown_currency"


@pytest.mark.parametrize(
    ("amount", "code", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.3", "USD", 1230),
        ("12.340", "USD", 1234),
        ("-0.05", "USD", -5),
        ("+7", "USD", 700),
        ("0", "USD", 0),
        ("-0.00", "USD", 0),
        ("1000", "JPY", 1000),
        ("1.000", "JPY", 1),
        ("1.234", "BHD", 1234),
        (Decimal("12.34"), "USD", 1234),
        (Decimal("1.2E+3"), "USD", 120000),
        (Decimal("-0"), "USD", 0),
        (12, "USD", 1200),
        (-3, "BHD", -3000),
        ("123456789012345678901234567890.12", "USD", 12345678901234567890123456789012),
    ],
)
def test_of_converts_major_units_exactly(
    amount: Decimal | int | str, code: str, minor: int
) -> None:
    assert Money.of(amount, code) == Money(minor, code)


@pytest.mark.parametrize(
    ("amount", "code"),
    [("12.345", "USD"), ("0.001", "USD"), ("1.5", "JPY"), (Decimal("0.0001"), "BHD")],
)
def test_of_refuses_more_places_than_the_currency_has(amount: str | Decimal, code: str) -> None:
    with pytest.raises(ValidationError, match="decimal places") as caught:
        Money.of(amount, code)
    assert caught.value.field == "amount"
    assert caught.value.code == "precision"


@pytest.mark.parametrize(
    "text", ["1,000.00", "1_000", "1e3", ".5", "5.", " 5", "NaN", "Infinity", "", "--1", "1.2.3"]
)
def test_of_refuses_anything_but_plain_decimal_strings(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.of(text, "USD")
    assert caught.value.field == "amount"


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_of_refuses_non_finite_decimals(bad: Decimal) -> None:
    with pytest.raises(ValidationError, match="finite"):
        Money.of(bad, "USD")


def test_of_refuses_floats_and_other_types() -> None:
    with pytest.raises(ValidationError, match="float") as caught:
        Money.of(12.34, "USD")  # type: ignore[arg-type]
    assert caught.value.field == "amount"
    with pytest.raises(ValidationError):
        Money.of(True, "USD")
    with pytest.raises(ValidationError):
        Money.of([1], "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.34 USD", Money(1234, "USD")),
        ("USD 12.34", Money(1234, "USD")),
        ("-0.05 usd", Money(-5, "USD")),
        ("  1000   JPY ", Money(1000, "JPY")),
        ("BHD -1.5", Money(-1500, "BHD")),
    ],
)
def test_parse_reads_amount_and_code_in_either_order(text: str, expected: Money) -> None:
    assert Money.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["12.34", "USD", "12.34 USD EUR", "1,000.00 USD", "USD EUR", "12.34USD", ""]
)
def test_parse_is_strict(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.parse(text)
    assert caught.value.field == "amount"


def test_parse_reports_precision_and_unknown_currency() -> None:
    with pytest.raises(ValidationError) as precision:
        Money.parse("12.345 USD")
    assert precision.value.code == "precision"
    with pytest.raises(ValidationError) as unknown:
        Money.parse("12.34 ZZZ")
    assert unknown.value.code == "unknown_currency"


def test_parse_refuses_non_strings() -> None:
    with pytest.raises(ValidationError):
        Money.parse(12.34)  # type: ignore[arg-type]


def test_zero() -> None:
    assert Money.zero("EUR") == Money(0, "EUR")
    assert Money.zero("EUR").is_zero()


# -- views ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text", "amount"),
    [
        (Money(1234, "USD"), "12.34", Decimal("12.34")),
        (Money(-5, "USD"), "-0.05", Decimal("-0.05")),
        (Money(0, "USD"), "0.00", Decimal("0.00")),
        (Money(1000, "JPY"), "1000", Decimal("1000")),
        (Money(-1, "BHD"), "-0.001", Decimal("-0.001")),
        (
            Money(10**30 + 1, "USD"),
            "10000000000000000000000000000.01",
            Decimal("10000000000000000000000000000.01"),
        ),
    ],
)
def test_decimal_views_are_exact(money: Money, text: str, amount: Decimal) -> None:
    assert money.to_decimal_string() == text
    assert money.amount == amount
    assert money.amount.as_tuple().exponent == -money.currency.exponent


def test_tiny_crypto_amounts_never_print_in_scientific_notation() -> None:
    register_currency("TSAT", 8, "Test satoshi coin")
    assert str(Money(1, "TSAT")) == "0.00000001 TSAT"
    assert Money(1, "TSAT").amount == Decimal("0.00000001")


def test_str_and_repr() -> None:
    assert str(Money(1234, "USD")) == "12.34 USD"
    assert repr(Money(-1234, "USD")) == "Money('-12.34 USD')"


def test_sign_predicates() -> None:
    signs = {
        text: (m.is_negative(), m.is_zero(), m.is_positive())
        for text in ("-1", "0", "1")
        for m in [usd(text)]
    }
    assert signs == {
        "-1": (True, False, False),
        "0": (False, True, False),
        "1": (False, False, True),
    }


def test_dict_round_trip() -> None:
    money = Money(-1234, "USD")
    assert money.to_dict() == {"amount": "-12.34", "currency": "USD"}
    assert Money.from_dict(money.to_dict()) == money
    assert Money.from_dict({"amount": "5", "currency": "jpy"}) == Money(5, "JPY")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": 12.34, "currency": "USD"}, "amount"),
        ({"amount": 12, "currency": "USD"}, "amount"),
        ({"currency": "USD"}, "amount"),
        ({"amount": "12.34"}, "currency"),
        ({"amount": "12.34", "currency": 840}, "currency"),
        ({"amount": "12.34", "currency": "USD", "rate": "1"}, "rate"),
        ({"amount": "12.345", "currency": "USD"}, "amount"),
        ({"amount": "12.34", "currency": "ZZZ"}, "currency"),
    ],
)
def test_from_dict_is_strict(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.from_dict(data)
    assert caught.value.field == field


def test_from_dict_refuses_non_mappings() -> None:
    with pytest.raises(ValidationError):
        Money.from_dict("12.34 USD")  # type: ignore[arg-type]


# -- identity --------------------------------------------------------------


def test_immutable() -> None:
    money = usd("1")
    with pytest.raises(AttributeError):
        money._minor = 5
    with pytest.raises(AttributeError):
        money.minor = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del money._minor
    assert money == usd("1")


def test_equality_and_hashing() -> None:
    assert Money(100, "USD") == Money.of(1, "usd")
    assert Money(100, "USD") != Money(100, "EUR")
    assert Money(100, "USD") != 100
    assert len({Money(100, "USD"), Money.of("1.00", "USD"), Money(100, "EUR")}) == 2


def test_pickle_and_copy_preserve_value() -> None:
    money = Money(-42, "BHD")
    assert pickle.loads(pickle.dumps(money)) == money  # noqa: S301 - our own bytes
    assert copy.copy(money) == money
    assert copy.deepcopy(money) == money


# -- arithmetic -----------------------------------------------------------------


def test_add_subtract_negate_abs() -> None:
    assert usd("1.10") + usd("2.25") == usd("3.35")
    assert usd("1.10") - usd("2.25") == usd("-1.15")
    assert -usd("1.10") == usd("-1.10")
    assert +usd("1.10") == usd("1.10")
    assert abs(usd("-1.10")) == usd("1.10")


def test_comparisons() -> None:
    assert usd("1") < usd("2") <= usd("2") < usd("3")
    assert usd("3") > usd("2") >= usd("2")
    assert max(usd("1"), usd("-5"), usd("0.5")) == usd("1")


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_raises_naming_both(op: object) -> None:
    with pytest.raises(ValidationError) as caught:
        op(usd("1"), Money(1, "EUR"))  # type: ignore[operator]
    assert caught.value.code == "currency_mismatch"
    assert caught.value.field == "currency"
    assert "USD" in caught.value.message
    assert "EUR" in caught.value.message


def test_arithmetic_with_plain_numbers_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        usd("1") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1") < 1  # type: ignore[operator]  # noqa: B015
    with pytest.raises(TypeError):
        usd("1") * usd("1")  # type: ignore[operator]


def test_multiplying_by_an_int() -> None:
    assert usd("1.25") * 3 == usd("3.75")
    assert 3 * usd("1.25") == usd("3.75")
    assert usd("1.25") * -2 == usd("-2.50")


def test_multiplying_by_a_float_is_refused() -> None:
    with pytest.raises(ValidationError, match="float") as caught:
        usd("1") * 1.5  # type: ignore[operator]
    assert caught.value.field == "amount"
    with pytest.raises(ValidationError, match="float"):
        1.5 * usd("1")  # type: ignore[operator]
    with pytest.raises(ValidationError, match="float"):
        usd("1").multiply(1.5)  # type: ignore[arg-type]


def test_multiplying_by_a_decimal_operator_demands_explicit_rounding() -> None:
    with pytest.raises(ValidationError, match="multiply") as caught:
        usd("1") * Decimal("1.5")  # type: ignore[operator]
    assert caught.value.code == "rounding_required"
    with pytest.raises(ValidationError, match="multiply"):
        Decimal("1.5") * usd("1")  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1") * True


@pytest.mark.parametrize(
    ("minor", "factor", "rounding", "expected"),
    [
        (100, Decimal("0.125"), ROUND_HALF_EVEN, 12),
        (100, Decimal("0.135"), ROUND_HALF_EVEN, 14),
        (100, Decimal("0.125"), ROUND_HALF_UP, 13),
        (100, Decimal("0.121"), ROUND_UP, 13),
        (100, Decimal("0.129"), ROUND_DOWN, 12),
        (-100, Decimal("0.125"), ROUND_HALF_EVEN, -12),
        (-100, Decimal("0.125"), ROUND_HALF_UP, -13),
        (12345, Decimal("1.0925"), ROUND_HALF_EVEN, 13487),
        (7, 3, ROUND_HALF_EVEN, 21),
        (10**40 + 1, Decimal("0.5"), ROUND_HALF_EVEN, 5 * 10**39),
        (10**40 + 3, Decimal("0.5"), ROUND_HALF_EVEN, 5 * 10**39 + 2),
    ],
)
def test_multiply_rounds_once_with_the_given_mode(
    minor: int, factor: Decimal | int, rounding: str, expected: int
) -> None:
    assert Money(minor, "USD").multiply(factor, rounding=rounding) == Money(expected, "USD")


def test_multiply_validates_its_arguments() -> None:
    with pytest.raises(ValidationError) as mode:
        usd("1").multiply(Decimal(2), rounding="ROUND_SOMETIMES")
    assert mode.value.field == "rounding"
    for bad in (Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValidationError, match="finite"):
            usd("1").multiply(bad)
    with pytest.raises(ValidationError) as kind:
        usd("1").multiply("1.5")  # type: ignore[arg-type]
    assert kind.value.field == "factor"


# -- allocation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "ratios", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (5, [3, 7], [2, 3]),
        (100, [70, 20, 10], [70, 20, 10]),
        (1, [1, 1], [1, 0]),
        (101, [0, 1, 1], [0, 51, 50]),
        (0, [1, 2], [0, 0]),
        (10, [5], [10]),
        (2, [1, 2, 1], [1, 1, 0]),
    ],
)
def test_allocate_uses_largest_remainder(
    minor: int, ratios: list[int], expected: list[int]
) -> None:
    parts = Money(minor, "USD").allocate(ratios)
    assert [p.minor for p in parts] == expected
    assert sum(p.minor for p in parts) == minor
    assert allocate(Money(minor, "USD"), ratios) == parts


@pytest.mark.parametrize("ratios", [[], [1, -1], [0, 0], [1.5, 1], [True, 1]])
def test_allocate_refuses_bad_ratios(ratios: list[int]) -> None:
    with pytest.raises(ValidationError) as caught:
        usd("1").allocate(ratios)
    assert caught.value.field == "ratios"


def test_split() -> None:
    assert [p.minor for p in usd("1").split(3)] == [34, 33, 33]
    assert usd("1").split(1) == [usd("1")]


@pytest.mark.parametrize("n", [0, -1, True, 2.0])
def test_split_refuses_bad_counts(n: int) -> None:
    with pytest.raises(ValidationError) as caught:
        usd("1").split(n)
    assert caught.value.field == "n"


def test_sum_money() -> None:
    assert sum_money([], "USD") == Money.zero("USD")
    assert sum_money(iter([usd("1.10"), usd("2.20")]), USD) == usd("3.30")


def test_sum_money_refuses_other_currencies_and_non_money() -> None:
    with pytest.raises(ValidationError) as caught:
        sum_money([usd("1"), Money(1, "EUR")], "USD")
    assert caught.value.code == "currency_mismatch"
    with pytest.raises(ValidationError):
        sum_money([1], "USD")  # type: ignore[list-item]
