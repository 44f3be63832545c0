"""Canonical validation of API transactions: the per-value rules for one, columnar for many.

Both paths apply the rules of :mod:`finmon.sources.rules` (the columnar
:class:`~finmon.sources.validate.TransactionValidator` only pre-filters with
Arrow and defers to the same rules), so a transaction gets the same verdict
whether it arrives alone, in a batch or in a file. A single request takes the
per-value path: building Arrow arrays for one row costs more than checking it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finmon.core.currency import get_currency
from finmon.core.errors import Problem, ValidationError
from finmon.sources import rules
from finmon.sources.validate import TransactionValidator

COLUMNAR_FROM = 64
"""Batches this large go through the vectorised validator."""


def _row(values: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, check in rules.TRANSACTION_CHECKS.items():
        value, reason = check(values.get(name))
        if reason is not None:
            problems.append(Problem(name, reason))
        elif value is not None:
            clean[name] = value
    currency = get_currency(clean["currency"]) if "currency" in clean else None
    amount, reason = rules.amount(values.get("amount"), currency)
    if reason is not None:
        problems.append(Problem("amount", reason))
    else:
        clean["amount"] = amount
    clean.setdefault("customer_id", clean.get("account_id"))
    return clean, problems


def canonical_rows(rows: Sequence[dict[str, Any]], prefix: str = "") -> list[dict[str, Any]]:
    """Clean canonical rows, or a ValidationError naming every field (``prefix3.amount``)."""
    problems: list[Problem] = []
    clean: list[dict[str, Any]] = []
    if len(rows) >= COLUMNAR_FROM:
        result = TransactionValidator(detect_duplicates=False).validate_rows(rows)
        bad = result.bad
        clean = result.rows
    else:
        bad = {}
        for index, row in enumerate(rows):
            cleaned, found = _row(row)
            if found:
                bad[index] = found
            clean.append(cleaned)
    for index in sorted(bad):
        where = f"{prefix}{index}." if prefix else ""
        problems.extend(Problem(f"{where}{p.field}", p.reason, p.code) for p in bad[index])
    if problems:
        raise ValidationError.from_problems("invalid transaction", problems)
    return clean


__all__ = ["COLUMNAR_FROM", "canonical_rows"]
