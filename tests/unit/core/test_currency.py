"""Currencies come from the ISO table or an explicit registration, never a guess."""

from __future__ import annotations

import pytest

from finmon.core.currency import Currency, all_currencies, get_currency, register_currency
from finmon.core.errors import ConflictError, ValidationError


@pytest.mark.parametrize(
    ("code", "numeric", "exponent"),
    [("USD", 840, 2), ("EUR", 978, 2), ("JPY", 392, 0), ("BHD", 48, 3), ("CLF", 990, 4)],
)
def test_iso_currencies_have_their_official_minor_units(
    code: str, numeric: int, exponent: int
) -> None:
    currency = get_currency(code)
    assert (currency.code, currency.numeric, currency.exponent) == (code, numeric, exponent)
    assert currency.is_iso
    assert not currency.is_fund_or_metal


@pytest.mark.parametrize("code", ["XAU", "XDR", "XTS", "XXX"])
def test_codes_without_minor_units_are_flagged_with_exponent_zero(code: str) -> None:
    currency = get_currency(code)
    assert currency.exponent == 0
    assert currency.is_fund_or_metal


def test_lookup_ignores_case_and_returns_the_same_object() -> None:
    assert get_currency("usd") is get_currency("USD")
    assert str(get_currency("eur")) == "EUR"


@pytest.mark.parametrize("code", ["ZZZ", "", "US", "USD ", "DOGE"])
def test_unknown_codes_are_refused_naming_the_code(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        get_currency(code)
    assert caught.value.code == "unknown_currency"
    assert caught.value.field == "currency"
    assert repr(code) in caught.value.message


def test_non_string_code_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        get_currency(840)  # type: ignore[arg-type]
    assert caught.value.code == "unknown_currency"


def test_currency_is_immutable() -> None:
    with pytest.raises(AttributeError):
        get_currency("USD").exponent = 3  # type: ignore[misc]


def test_all_currencies_is_sorted_and_complete() -> None:
    codes = [c.code for c in all_currencies()]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert {"USD", "EUR", "JPY", "XAU"} <= set(codes)
    assert len(codes) >= 150


def test_registered_currency_is_usable_and_listed() -> None:
    btc = register_currency("tbtc", 8, "Test Bitcoin")
    assert btc == Currency("TBTC", None, 8, "Test Bitcoin", is_iso=False)
    assert get_currency("TBTC") is btc
    assert btc in all_currencies()


def test_registering_the_same_definition_again_is_harmless() -> None:
    first = register_currency("TUSDC", 6, "Test USD Coin")
    assert register_currency("tusdc", 6, "Test USD Coin") is first


def test_registering_an_iso_code_with_its_own_exponent_returns_the_iso_currency() -> None:
    assert register_currency("USD", 2, "whatever") is get_currency("USD")


def test_redefining_an_iso_code_is_refused() -> None:
    with pytest.raises(ConflictError) as caught:
        register_currency("JPY", 2, "Yen with cents")
    assert caught.value.code == "currency_redefined"
    assert caught.value.field == "currency"
    assert get_currency("JPY").exponent == 0


def test_giving_minor_units_to_a_metal_is_refused() -> None:
    with pytest.raises(ConflictError):
        register_currency("XAU", 0, "Gold")


def test_redefining_a_registered_code_is_refused() -> None:
    register_currency("TETH", 18, "Test Ether")
    with pytest.raises(ConflictError, match="exponent 18"):
        register_currency("TETH", 9, "Test Ether")
    with pytest.raises(ConflictError):
        register_currency("TETH", 18, "Other name")
    assert get_currency("TETH").exponent == 18


@pytest.mark.parametrize(
    ("code", "exponent", "name", "field"),
    [
        ("B", 8, "too short", "currency"),
        ("1BTC", 8, "starts with a digit", "currency"),
        ("BT-C", 8, "punctuation", "currency"),
        ("TOOLONGCODE123", 8, "too long", "currency"),
        ("TOK", -1, "negative", "exponent"),
        ("TOK", 19, "too many places", "exponent"),
        ("TOK", True, "bool", "exponent"),
        ("TOK", 2.0, "float", "exponent"),
        ("TOK", 2, "   ", "name"),
    ],
)
def test_malformed_registrations_are_refused(
    code: str, exponent: int, name: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        register_currency(code, exponent, name)
    assert caught.value.field == field
