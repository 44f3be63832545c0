"""Properties of Money that must hold for every amount, currency and split."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finmon.core.currency import Currency, all_currencies
from finmon.core.errors import ValidationError
from finmon.core.money import Money

ISO = [c for c in all_currencies() if c.is_iso]
minors = st.integers(min_value=-(10**24), max_value=10**24)
currencies = st.sampled_from(ISO)
ratios = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(
    lambda r: sum(r) > 0
)


@st.composite
def money_triples(draw: st.DrawFn) -> tuple[Money, Money, Money]:
    currency = draw(currencies)
    return (
        Money(draw(minors), currency),
        Money(draw(minors), currency),
        Money(draw(minors), currency),
    )


@given(money_triples())
def test_addition_is_associative_and_commutative(triple: tuple[Money, Money, Money]) -> None:
    a, b, c = triple
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a


@given(money_triples())
def test_subtraction_inverts_addition(triple: tuple[Money, Money, Money]) -> None:
    a, b, _ = triple
    assert (a + b) - b == a
    assert a - a == Money.zero(a.currency)
    assert a + (-a) == Money.zero(a.currency)
    assert a - b == -(b - a)


@given(minors, currencies, ratios)
def test_allocation_conserves_value(minor: int, currency: Currency, weights: list[int]) -> None:
    money = Money(minor, currency)
    parts = money.allocate(weights)
    assert len(parts) == len(weights)
    assert sum(p.minor for p in parts) == minor
    assert all(p.currency == currency for p in parts)
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        # every part is within one minor unit of its exact share
        assert abs(part.minor * total - minor * weight) < total
        if weight == 0:
            assert part.is_zero()


@given(minors, currencies, ratios)
def test_allocating_a_negative_amount_mirrors_the_positive_one(
    minor: int, currency: Currency, weights: list[int]
) -> None:
    positive = Money(minor, currency).allocate(weights)
    negative = (-Money(minor, currency)).allocate(weights)
    assert negative == [-p for p in positive]


@given(minors, currencies, st.integers(min_value=1, max_value=50))
def test_equal_split_parts_differ_by_at_most_one_unit(
    minor: int, currency: Currency, n: int
) -> None:
    parts = [p.minor for p in Money(minor, currency).split(n)]
    assert sum(parts) == minor
    assert max(parts) - min(parts) <= 1
    # the extra units go to the first parts
    assert [abs(p) for p in parts] == sorted((abs(p) for p in parts), reverse=True)


@given(minors, currencies)
def test_parse_of_str_round_trips(minor: int, currency: Currency) -> None:
    money = Money(minor, currency)
    assert Money.parse(str(money)) == money
    assert Money.parse(f"{currency.code} {money.to_decimal_string()}") == money
    assert Money.from_dict(money.to_dict()) == money
    assert Money.of(money.amount, currency) == money


@pytest.mark.parametrize("exponent", sorted({c.exponent for c in ISO}))
def test_every_iso_exponent_round_trips(exponent: int) -> None:
    currency = next(c for c in ISO if c.exponent == exponent)

    @given(minors)
    def check(minor: int) -> None:
        money = Money(minor, currency)
        assert Money.parse(str(money)) == money
        assert money.amount == Decimal(minor).scaleb(-exponent)

    check()


@given(minors, minors, st.lists(currencies, min_size=2, max_size=2, unique=True))
def test_mixing_currencies_always_raises(a: int, b: int, pair: list[Currency]) -> None:
    left, right = Money(a, pair[0]), Money(b, pair[1])
    for op in (
        lambda: left + right,
        lambda: left - right,
        lambda: left < right,
        lambda: left <= right,
        lambda: left > right,
        lambda: left >= right,
    ):
        with pytest.raises(ValidationError) as caught:
            op()
        assert caught.value.code == "currency_mismatch"
    assert left != right


@given(minors, currencies, minors)
def test_multiplying_by_an_int_is_repeated_addition(minor: int, currency: Currency, k: int) -> None:
    money = Money(minor, currency)
    assert (money * k).minor == minor * k
    assert money.multiply(k) == money * k
