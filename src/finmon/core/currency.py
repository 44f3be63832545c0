"""Currencies and their minor units.

Money is stored as an integer count of minor units, so the one fact about a
currency that every amount depends on is its exponent: 100 cents make a dollar,
the yen has no subdivision, 1000 fils make a Bahraini dinar. Getting it wrong
shifts amounts by orders of magnitude, so it is never typed in by hand: the ISO
4217 currencies come from the official SIX table shipped by the ``iso4217``
package, and anything else (crypto assets held in custody, say) must be
registered explicitly, once, before use.

ISO lists some codes without minor units ("N.A.": gold, the IMF's SDR, bond
market units, the testing code XTS, "no currency" XXX). They are not cash a
customer can hold in a bank account, but they still appear in market data, so
they are kept with exponent 0 and flagged ``is_fund_or_metal`` for callers that
must refuse them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

import iso4217

from finmon.core.errors import ConflictError, ValidationError

_MAX_EXPONENT = 18
"""Beyond 18 decimal places (Ether's wei) nothing real is denominated."""

_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,11}")
"""Registered codes: ISO-like uppercase, letters then letters or digits ("USDC", "BTC")."""


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency as amounts need it.

    Attributes:
        code: ISO 4217 alpha-3 code, or a registered non-ISO code ("BTC").
        numeric: ISO 4217 numeric code; ``None`` for a registered non-ISO currency.
        exponent: number of decimal places of the minor unit (JPY 0, USD 2, BHD 3).
        name: the English name, for display only.
        is_iso: whether the code comes from ISO 4217 rather than a registration.
        is_fund_or_metal: ISO lists no minor units for it (XAU, XDR, XTS ...);
            its exponent is then 0 by convention, not by definition.
    """

    code: str
    numeric: int | None
    exponent: int
    name: str
    is_iso: bool = True
    is_fund_or_metal: bool = False

    def __str__(self) -> str:
        return self.code


@cache
def _iso_currencies() -> dict[str, Currency]:
    """The ISO table, built once: parsing the XML is not free and it never changes."""
    table: dict[str, Currency] = {}
    for code, entry in iso4217.raw_table.items():
        if not code:  # "No universal currency" rows carry no code at all.
            continue
        units = str(entry.get("CcyMnrUnts") or "")
        numeric = entry.get("CcyNbr")
        without_units = not units.isdigit()
        table[code] = Currency(
            code=code,
            numeric=int(str(numeric)) if numeric is not None else None,
            exponent=0 if without_units else int(units),
            name=str(entry.get("CcyNm") or code),
            is_iso=True,
            is_fund_or_metal=without_units,
        )
    return table


_registered: dict[str, Currency] = {}
_registry_lock = threading.Lock()


def _normalise(code: str) -> str:
    if not isinstance(code, str):
        raise ValidationError(
            f"a currency code must be a string, not {type(code).__name__}",
            field="currency",
            code="unknown_currency",
        )
    return code.upper()


def get_currency(code: str) -> Currency:
    """The currency for ``code`` (any case); unknown codes are refused, never guessed.

    Raises:
        ValidationError: ``code="unknown_currency"``, ``field="currency"``.
    """
    key = _normalise(code)
    found = _iso_currencies().get(key) or _registered.get(key)
    if found is None:
        raise ValidationError(
            f"unknown currency {code!r}: not in ISO 4217 and not registered",
            field="currency",
            code="unknown_currency",
        )
    return found


def all_currencies() -> tuple[Currency, ...]:
    """Every known currency, ISO and registered, sorted by code."""
    with _registry_lock:
        merged = {**_registered, **_iso_currencies()}
    return tuple(merged[code] for code in sorted(merged))


def register_currency(code: str, exponent: int, name: str) -> Currency:
    """Make a non-ISO currency (a crypto asset, a stablecoin) usable in :class:`Money`.

    Registering the same definition twice is harmless, so every module that
    needs, say, BTC may register it at import. What is refused is a second,
    different definition: two exponents for one code would make the same
    stored integer mean two amounts.

    Raises:
        ValidationError: the code, exponent or name is malformed.
        ConflictError: ``code="currency_redefined"`` when ``code`` is already
            defined (by ISO or an earlier registration) with another exponent or name.
    """
    key = _normalise(code)
    _check_definition(key, exponent, name)
    iso = _iso_currencies().get(key)
    if iso is not None:
        if iso.exponent != exponent or iso.is_fund_or_metal:
            raise ConflictError(
                f"{key} is an ISO 4217 currency with exponent {iso.exponent}"
                f"{' (no minor units)' if iso.is_fund_or_metal else ''}; "
                f"it cannot be redefined with exponent {exponent}",
                field="currency",
                code="currency_redefined",
            )
        return iso
    currency = Currency(code=key, numeric=None, exponent=exponent, name=name, is_iso=False)
    with _registry_lock:
        existing = _registered.setdefault(key, currency)
    if existing != currency:
        raise ConflictError(
            f"{key} is already registered with exponent {existing.exponent} "
            f"and name {existing.name!r}",
            field="currency",
            code="currency_redefined",
        )
    return existing


def _check_definition(code: str, exponent: int, name: str) -> None:
    if not _CODE_RE.fullmatch(code):
        raise ValidationError(
            f"currency code {code!r} must be 2-12 letters or digits, starting with a letter",
            field="currency",
        )
    if isinstance(exponent, bool) or not isinstance(exponent, int):
        raise ValidationError("the exponent must be an int", field="exponent")
    if not 0 <= exponent <= _MAX_EXPONENT:
        raise ValidationError(
            f"the exponent must be between 0 and {_MAX_EXPONENT}, not {exponent}",
            field="exponent",
        )
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("a currency needs a name", field="name")


__all__ = ["Currency", "all_currencies", "get_currency", "register_currency"]
