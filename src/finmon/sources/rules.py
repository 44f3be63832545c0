"""The rules one value of a canonical transaction must meet, one function per rule.

These per-value checks are the *reference* semantics of validation: the
columnar fast path in :mod:`finmon.sources.validate` only pre-filters rows with
vectorised Arrow tests, and every row it cannot pass outright is decided here,
so that the reason a user reads always comes from one place. A test holds the
two paths to the same verdicts.

Each check takes the value as read (text, or a typed value from Parquet or a
database) and returns ``(clean value, None)`` or ``(None, reason)``; an empty
optional value is ``(None, None)``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from finmon.core.currency import Currency, all_currencies, get_currency
from finmon.core.errors import ValidationError
from finmon.core.money import Money
from finmon.sources.canonical import CHANNELS, DIRECTIONS

Outcome = tuple[Any, str | None]
Check = Callable[[Any], Outcome]

AMOUNT_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
"""Amounts: digits, optionally a point and more digits. No sign (direction carries it),
no exponent, no thousands separator: "1,000" means one thousand or one depending on
who reads it."""
MCC_RE = re.compile(r"[0-9]{4}")
COUNTRY_RE = re.compile(r"[A-Z]{2}")
COORDINATE_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_DIRECTIONS = frozenset(DIRECTIONS)
_CHANNELS = frozenset(CHANNELS)


def is_empty(value: Any) -> bool:
    """None, or text that is empty or only whitespace: what "missing" means in a file."""
    return value is None or (isinstance(value, str) and not value.strip())


def required_text(value: Any) -> Outcome:
    if is_empty(value):
        return None, "is required and is empty"
    return value, None


def optional_text(value: Any) -> Outcome:
    return (None, None) if is_empty(value) else (value, None)


def instant(value: Any) -> Outcome:
    """ISO 8601 with a zone (``Z`` or ``+02:00``), or an aware datetime; returned in UTC.

    A naive time is refused rather than assumed UTC: a bank's extract in local
    time would otherwise shift every transaction by hours, silently.
    """
    if is_empty(value):
        return None, "is required and is empty"
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            detail = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
            return None, f"{value!r} is not an ISO 8601 date and time{detail}"
    else:
        return None, f"expected an ISO 8601 timestamp, got {type(value).__name__}"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None, (
            f"{value!s} has no time zone; give UTC ('Z') or an offset like '+02:00' "
            "(a local time would be a guess)"
        )
    return parsed.astimezone(UTC), None


def direction(value: Any) -> Outcome:
    if is_empty(value):
        return None, "is required and is empty"
    if value not in _DIRECTIONS:
        return None, f"{value!r} is not one of: {', '.join(DIRECTIONS)}"
    return value, None


def channel(value: Any) -> Outcome:
    if is_empty(value):
        return None, None
    if value not in _CHANNELS:
        return None, f"{value!r} is not one of: {', '.join(CHANNELS)}"
    return value, None


def merchant_category(value: Any) -> Outcome:
    if is_empty(value):
        return None, None
    if not isinstance(value, str) or not MCC_RE.fullmatch(value):
        return None, f"{value!r} is not a 4-digit ISO 18245 merchant category code"
    return value, None


def country(value: Any) -> Outcome:
    if is_empty(value):
        return None, None
    if not isinstance(value, str) or not COUNTRY_RE.fullmatch(value):
        return None, f"{value!r} is not an ISO 3166-1 alpha-2 code (two capital letters)"
    return value, None


@cache
def account_currencies() -> dict[str, int]:
    """Codes a transaction may carry, with their exponents.

    ISO 4217 codes without minor units (gold, SDR, the test code XTS) are
    excluded: nobody's current account is denominated in them. Cached: the
    ISO table does not change within a process; call ``cache_clear`` after
    registering a currency.
    """
    return {c.code: c.exponent for c in all_currencies() if not c.is_fund_or_metal}


def currency(value: Any) -> Outcome:
    if is_empty(value):
        return None, "is required and is empty"
    if not isinstance(value, str):
        return None, f"expected a currency code, got {type(value).__name__}"
    if value in account_currencies():
        return value, None
    try:
        found = get_currency(value)
    except ValidationError:
        return None, f"{value!r} is not a known ISO 4217 currency code"
    if found.code != value:
        return None, f"{value!r} must be written in capitals: {found.code!r}"
    return None, f"{value!r} has no minor units in ISO 4217 and cannot be an account currency"


def amount(value: Any, cur: Currency | None) -> Outcome:
    """A positive plain decimal string that fits ``cur``'s exponent; normalised to it.

    ``"12.5"`` USD becomes ``"12.50"`` and ``"12.340"`` becomes ``"12.34"`` (the
    same amount, written once); ``"12.345"`` USD is refused, never rounded.
    With ``cur`` unknown (the currency itself is bad) only the syntax is checked.
    """
    if is_empty(value):
        return None, "is required and is empty"
    if not isinstance(value, str):
        return None, f"expected a decimal string, got {type(value).__name__}"
    if value.startswith("-"):
        return None, f"{value!r} is negative; amounts are positive and direction says debit/credit"
    if not AMOUNT_RE.fullmatch(value):
        return None, (
            f"{value!r} is not a plain decimal number (digits and at most one point; "
            "no sign, exponent or thousands separator)"
        )
    if cur is None:
        return value, None
    try:
        money = Money.of(value, cur)
    except ValidationError as exc:
        return None, exc.message
    if money.is_zero():
        return None, f"{value!r} is zero; a transaction moves a positive amount"
    return money.to_decimal_string(), None


def _coordinate(value: Any, limit: int, name: str) -> Outcome:
    if is_empty(value):
        return None, None
    if isinstance(value, bool):
        return None, f"expected a number, got {value!r}"
    if isinstance(value, str):
        if not COORDINATE_RE.fullmatch(value):
            return None, f"{value!r} is not a decimal number"
        number = float(value)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        return None, f"expected a number, got {type(value).__name__}"
    if not -limit <= number <= limit:  # also refuses NaN
        return None, f"{value!r} is outside [-{limit}, {limit}] for a {name}"
    return number, None


def latitude(value: Any) -> Outcome:
    return _coordinate(value, 90, "latitude")


def longitude(value: Any) -> Outcome:
    return _coordinate(value, 180, "longitude")


def ip_address(value: Any) -> Outcome:
    if is_empty(value):
        return None, None
    if not isinstance(value, str):
        return None, f"expected an IP address as text, got {type(value).__name__}"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None, f"{value!r} is not an IPv4 or IPv6 address"
    return value, None


TRANSACTION_CHECKS: dict[str, Check] = {
    "transaction_id": required_text,
    "occurred_at": instant,
    "customer_id": optional_text,
    "account_id": required_text,
    "direction": direction,
    # amount needs the row's currency: see validate.py
    "currency": currency,
    "channel": channel,
    "merchant_id": optional_text,
    "merchant_category": merchant_category,
    "merchant_country": country,
    "counterparty_account_id": optional_text,
    "counterparty_name": optional_text,
    "counterparty_bank": optional_text,
    "counterparty_country": country,
    "device_id": optional_text,
    "ip_address": ip_address,
    "latitude": latitude,
    "longitude": longitude,
    "description": optional_text,
}


__all__ = [
    "TRANSACTION_CHECKS",
    "Check",
    "Outcome",
    "account_currencies",
    "amount",
    "channel",
    "country",
    "currency",
    "direction",
    "instant",
    "ip_address",
    "is_empty",
    "latitude",
    "longitude",
    "merchant_category",
    "optional_text",
    "required_text",
]
