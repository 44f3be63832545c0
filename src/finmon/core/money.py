"""Exact amounts of money.

An amount is an integer number of minor units plus a currency, never a float:
0.1 + 0.2 != 0.3 in binary floating point, and a monitoring system that sums
millions of transactions must reproduce a ledger to the cent. So floats are
refused at every entrance, not converted, and an input with more decimal places
than the currency has is an error, not something to round quietly.

Rounding happens in one place only, :meth:`Money.multiply`, where a rate (a fee
percentage, an FX rate) makes it unavoidable, and the caller names the rounding
mode there. Splitting an amount (:meth:`Money.allocate`) never rounds: the parts
always add up to the whole.

Amounts in different currencies do not mix: adding or comparing them raises,
because an implicit conversion would need a rate nobody supplied.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NoReturn

from finmon.core.currency import Currency, get_currency
from finmon.core.errors import ValidationError

_NUMBER_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
"""The one amount syntax: optional sign, digits, optionally a point and more digits.

No exponents, no thousands separators ("1,000" and "1_000" are refused), no
leading or trailing point: "1,000" reads as one thousand in one locale and as
one in another, and money must not depend on who reads it.
"""

_ROUNDING_MODES = frozenset(
    {
        decimal.ROUND_CEILING,
        decimal.ROUND_DOWN,
        decimal.ROUND_FLOOR,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_UP,
        decimal.ROUND_05UP,
    }
)


def _currency(currency: Currency | str) -> Currency:
    return currency if isinstance(currency, Currency) else get_currency(currency)


def _refuse_float(what: str) -> NoReturn:
    raise ValidationError(
        f"{what} is a float; floats cannot represent money exactly, "
        "pass an int, a Decimal or a decimal string",
        field="amount",
        code="float_refused",
    )


class Money:
    """An exact amount: integer minor units of one currency. Immutable and hashable."""

    __slots__ = ("_currency", "_minor")

    _minor: int
    _currency: Currency

    def __init__(self, minor: int, currency: Currency | str) -> None:
        if isinstance(minor, float):
            _refuse_float("the amount")
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise ValidationError(
                f"minor units must be an int, not {type(minor).__name__}; "
                "use Money.of() for a decimal amount",
                field="amount",
            )
        object.__setattr__(self, "_minor", minor)
        object.__setattr__(self, "_currency", _currency(currency))

    # -- constructors -----------------------------------------------------

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: Currency | str) -> Money:
        """The amount in major units ("12.34" dollars), converted exactly.

        Raises:
            ValidationError: ``code="precision"`` when ``amount`` has more
                decimal places than the currency (``"12.345"`` USD): silently
                rounding an input would lose money nobody decided to lose.
        """
        cur = _currency(currency)
        if isinstance(amount, float):
            _refuse_float("the amount")
        if isinstance(amount, bool):
            raise ValidationError("the amount must not be a bool", field="amount")
        if isinstance(amount, int):
            return cls(amount * 10**cur.exponent, cur)
        if isinstance(amount, str):
            if not _NUMBER_RE.fullmatch(amount):
                raise ValidationError(
                    f"{amount!r} is not a plain decimal number "
                    "(digits, an optional sign and at most one decimal point)",
                    field="amount",
                )
            amount = Decimal(amount)
        if not isinstance(amount, Decimal):
            raise ValidationError(
                f"the amount must be a Decimal, int or str, not {type(amount).__name__}",
                field="amount",
            )
        return cls(_to_minor(amount, cur), cur)

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read ``"12.34 USD"`` or ``"USD 12.34"`` (the form :meth:`__str__` writes).

        The amount follows the strict syntax of :meth:`of`: no thousands
        separators, no exponents; amount and code are separated by whitespace.
        """
        if not isinstance(text, str):
            raise ValidationError("money to parse must be a string", field="amount")
        parts = text.split()
        if len(parts) != 2:
            raise ValidationError(
                f"{text!r} is not an amount and a currency code, like '12.34 USD'",
                field="amount",
            )
        first, second = parts
        if _NUMBER_RE.fullmatch(first):
            return cls.of(first, second)
        if _NUMBER_RE.fullmatch(second):
            return cls.of(second, first)
        raise ValidationError(
            f"{text!r} has no plain decimal amount, like '12.34 USD'", field="amount"
        )

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        """Nothing, in ``currency``; the start of a sum."""
        return cls(0, currency)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Money:
        """Read ``{"amount": "12.34", "currency": "USD"}`` as events carry it.

        The amount must be a string: a JSON number would have passed through a
        float in most parsers before it got here.
        """
        if not isinstance(data, Mapping):
            raise ValidationError("money must be an object with amount and currency", field="")
        extra = sorted(set(data) - {"amount", "currency"})
        if extra:
            raise ValidationError(f"unexpected keys in money: {extra}", field=str(extra[0]))
        if "currency" not in data or not isinstance(data["currency"], str):
            raise ValidationError("money needs a currency code string", field="currency")
        amount = data.get("amount")
        if not isinstance(amount, str):
            raise ValidationError(
                'money needs its amount as a decimal string, like "12.34"', field="amount"
            )
        return cls.of(amount, data["currency"])

    # -- views --------------------------------------------------------------

    @property
    def minor(self) -> int:
        """The amount in minor units (cents); what storage and arithmetic use."""
        return self._minor

    @property
    def currency(self) -> Currency:
        return self._currency

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exactly, with the currency's decimal places."""
        sign = 1 if self._minor < 0 else 0
        digits = tuple(int(d) for d in str(abs(self._minor)))
        return Decimal((sign, digits, -self._currency.exponent))

    def to_decimal_string(self) -> str:
        """The amount as ``"12.34"``, ``"-0.05"``, ``"1000"`` (JPY): never scientific."""
        exponent = self._currency.exponent
        whole, frac = divmod(abs(self._minor), 10**exponent)
        sign = "-" if self._minor < 0 else ""
        if exponent == 0:
            return f"{sign}{whole}"
        return f"{sign}{whole}.{frac:0{exponent}d}"

    def to_dict(self) -> dict[str, str]:
        """``{"amount": "12.34", "currency": "USD"}``: exact and float-free in JSON."""
        return {"amount": self.to_decimal_string(), "currency": self._currency.code}

    def is_zero(self) -> bool:
        return self._minor == 0

    def is_positive(self) -> bool:
        return self._minor > 0

    def is_negative(self) -> bool:
        return self._minor < 0

    # -- arithmetic ---------------------------------------------------------

    def _same(self, other: Money, op: str) -> None:
        if other._currency.code != self._currency.code:
            raise ValidationError(
                f"cannot {op} {self._currency.code} and {other._currency.code}: "
                "convert one of them first",
                field="currency",
                code="currency_mismatch",
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(self._minor + other._minor, self._currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(self._minor - other._minor, self._currency)

    def __neg__(self) -> Money:
        return Money(-self._minor, self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self._minor), self._currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, float):
            _refuse_float("the factor")
        if isinstance(factor, Decimal):
            raise ValidationError(
                "multiplying by a Decimal may need rounding; "
                "use Money.multiply(factor, rounding=...) to say how",
                field="amount",
                code="rounding_required",
            )
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self._minor * factor, self._currency)

    __rmul__ = __mul__

    def multiply(self, factor: Decimal | int, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Scale by a rate (fee, FX, interest) and round to a minor unit with ``rounding``.

        The product is computed exactly and rounded once. Banker's rounding is
        the default because it does not drift upwards over many operations.
        """
        if isinstance(factor, float):
            _refuse_float("the factor")
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            raise ValidationError("the factor must be a Decimal or an int", field="factor")
        if rounding not in _ROUNDING_MODES:
            raise ValidationError(f"unknown rounding mode {rounding!r}", field="rounding")
        factor = Decimal(factor)
        if not factor.is_finite():
            raise ValidationError("the factor must be a finite number", field="factor")
        digits = len(str(abs(self._minor))) + len(factor.as_tuple().digits) + 2
        context = decimal.Context(
            prec=digits, rounding=rounding, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN
        )
        product = context.multiply(Decimal(self._minor), factor)
        return Money(
            int(product.to_integral_value(rounding=rounding, context=context)), self._currency
        )

    def allocate(self, ratios: Sequence[int]) -> list[Money]:
        """Split into parts proportional to ``ratios``; the parts sum to ``self`` exactly.

        Each part gets the floor of its exact share; the minor units left over go
        one each to the parts with the largest fractional remainders, ties to the
        earlier part. A negative amount is split as its absolute value and
        negated, so ``(-m).allocate(r) == [-p for p in m.allocate(r)]``.
        """
        weights = _check_ratios(ratios)
        total = sum(weights)
        magnitude = abs(self._minor)
        shares = [divmod(magnitude * w, total) for w in weights]
        parts = [quotient for quotient, _ in shares]
        leftover = magnitude - sum(parts)
        by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
        for index in by_remainder[:leftover]:
            parts[index] += 1
        sign = -1 if self._minor < 0 else 1
        return [Money(sign * part, self._currency) for part in parts]

    def split(self, n: int) -> list[Money]:
        """``n`` parts as equal as minor units allow; earlier parts get the extra units."""
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValidationError(f"cannot split into {n!r} parts", field="n")
        return self.allocate([1] * n)

    # -- comparison and identity ---------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._minor == other._minor and self._currency.code == other._currency.code

    def __hash__(self) -> int:
        return hash((self._minor, self._currency.code))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._minor < other._minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._minor <= other._minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._minor > other._minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self._minor >= other._minor

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[type[Money], tuple[int, Currency]]:
        # The slots are write-protected, so pickle and copy must go through __init__.
        return (Money, (self._minor, self._currency))

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self._currency.code}"

    def __repr__(self) -> str:
        return f"Money('{self}')"


def _to_minor(amount: Decimal, currency: Currency) -> int:
    """Exact conversion of major units to minor units, by integer arithmetic only.

    Decimal arithmetic would round to the context precision (28 digits) without
    saying so; working on the digit tuple cannot.
    """
    sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):  # only NaN/Infinity have a str exponent
        raise ValidationError("the amount must be a finite number", field="amount")
    coefficient = int("".join(map(str, digits)) or "0")
    shift = exponent + currency.exponent
    minor: int
    if shift >= 0:
        minor = coefficient * 10**shift
    else:
        divisor: int = 10 ** (-shift)
        minor, dropped = divmod(coefficient, divisor)
        if dropped:
            raise ValidationError(
                f"{amount} has more decimal places than {currency.code} "
                f"allows ({currency.exponent}); round it explicitly first",
                field="amount",
                code="precision",
            )
    return -minor if sign else minor


def _check_ratios(ratios: Sequence[int]) -> list[int]:
    weights = list(ratios)
    if not weights:
        raise ValidationError("cannot allocate over no ratios", field="ratios")
    for ratio in weights:
        if isinstance(ratio, bool) or not isinstance(ratio, int):
            raise ValidationError(
                f"ratios must be ints, not {type(ratio).__name__}", field="ratios"
            )
        if ratio < 0:
            raise ValidationError(f"ratios must not be negative, got {ratio}", field="ratios")
    if sum(weights) == 0:
        raise ValidationError("at least one ratio must be positive", field="ratios")
    return weights


def allocate(money: Money, ratios: Sequence[int]) -> list[Money]:
    """Function form of :meth:`Money.allocate`."""
    return money.allocate(ratios)


def sum_money(items: Iterable[Money], currency: Currency | str) -> Money:
    """Total ``items``; zero in ``currency`` when there are none.

    The currency is required because an empty sum has no currency to infer, and
    every item must be in it.
    """
    cur = _currency(currency)
    total = 0
    for item in items:
        if not isinstance(item, Money):
            raise ValidationError(f"cannot sum a {type(item).__name__} as money", field="amount")
        if item.currency.code != cur.code:
            raise ValidationError(
                f"cannot add {item.currency.code} to a {cur.code} total",
                field="currency",
                code="currency_mismatch",
            )
        total += item.minor
    return Money(total, cur)


__all__ = ["Money", "allocate", "sum_money"]
