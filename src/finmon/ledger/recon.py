"""Reconciliation: match an account's ledger entries against an external statement.

The statement is what the other side (a correspondent bank, a card scheme)
says happened on our account with them: a CSV file or an ISO 20022 camt.053.
Lines match by reference first, then by amount and value date within
tolerances; the report lists what matched, what is missing on either side,
amount (or date) mismatches, and duplicated references.

Deterministic: both sides are sorted by a total order before matching and the
report is serialised with sorted keys, so the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPEs are refused before parsing
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import orjson

from finmon.core.errors import ValidationError
from finmon.core.money import Money
from finmon.ledger.queries import LedgerQueries, from_us


@dataclass(frozen=True, slots=True, order=True)
class Line:
    """One movement on either side: + is money into our account at the other party."""

    reference: str
    value_date: date
    minor: int
    currency: str
    source_id: str

    def to_dict(self) -> dict[str, str]:
        return {
            "reference": self.reference,
            "value_date": self.value_date.isoformat(),
            "amount": Money(self.minor, self.currency).to_decimal_string(),
            "currency": self.currency,
            "id": self.source_id,
        }


@dataclass(slots=True)
class ReconReport:
    """The outcome; ``reconciled`` when nothing is unmatched, mismatched or duplicated."""

    matched: list[tuple[Line, Line]] = field(default_factory=list)
    missing_in_ledger: list[Line] = field(default_factory=list)
    missing_in_statement: list[Line] = field(default_factory=list)
    mismatched: list[tuple[Line, Line, str]] = field(default_factory=list)
    duplicates: list[Line] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return not (
            self.missing_in_ledger
            or self.missing_in_statement
            or self.mismatched
            or self.duplicates
        )

    @property
    def lag_days(self) -> int:
        """The largest delay, in days, between a ledger entry and its statement line."""
        return max((abs((t.value_date - o.value_date).days) for o, t in self.matched), default=0)

    def to_dict(self) -> dict[str, object]:
        return {
            "reconciled": self.reconciled,
            "counts": {
                "matched": len(self.matched),
                "missing_in_ledger": len(self.missing_in_ledger),
                "missing_in_statement": len(self.missing_in_statement),
                "mismatched": len(self.mismatched),
                "duplicates": len(self.duplicates),
                "unmatched": len(self.missing_in_ledger) + len(self.missing_in_statement),
            },
            "lag_days": self.lag_days,
            "matched": [{"ledger": o.to_dict(), "statement": t.to_dict()} for o, t in self.matched],
            "missing_in_ledger": [line.to_dict() for line in self.missing_in_ledger],
            "missing_in_statement": [line.to_dict() for line in self.missing_in_statement],
            "mismatched": [
                {"ledger": o.to_dict(), "statement": t.to_dict(), "reason": why}
                for o, t, why in self.mismatched
            ],
            "duplicates": [line.to_dict() for line in self.duplicates],
        }

    def to_json(self) -> bytes:
        """The canonical bytes of the report (same inputs, same bytes)."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


# -- reading the two sides ----------------------------------------------------


def ledger_lines(ledger: LedgerQueries, account: str) -> list[Line]:
    """Posted entries of ``account`` as lines: debit (money in at the other party) positive."""
    rows = ledger.read_rows(
        "SELECT coalesce(t.reference, ''), e.at_us, e.debit - e.credit, e.currency,"
        " e.transfer_id FROM ledger_entries e LEFT JOIN ledger_transfers t"
        " ON t.id = e.transfer_id WHERE e.account = ? AND e.bucket = 'posted'"
        " ORDER BY e.seq, e.n",
        (account,),
    )
    return [Line(r[0], from_us(r[1]).date(), int(r[2]), r[3], r[4]) for r in rows]


def read_csv(path: Path) -> list[Line]:
    """``reference,value_date,amount,currency`` with a header; amounts signed, exact."""
    lines = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                money = Money.of(row["amount"].strip(), row["currency"].strip())
                value_date = date.fromisoformat(row["value_date"].strip())
            except ValidationError as exc:
                raise ValidationError(
                    f"{path.name} line {number}: {exc.message}", field="statement", code=exc.code
                ) from None
            except (KeyError, ValueError, AttributeError) as exc:
                raise ValidationError(
                    f"{path.name} line {number}: {exc}", field="statement"
                ) from None
            lines.append(
                Line(
                    row["reference"].strip(),
                    value_date,
                    money.minor,
                    money.currency.code,
                    f"line {number}",
                )
            )
    return lines


_NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}


def _text(node: ET.Element, path: str) -> str:
    found = node.find(path, _NS)
    return (found.text or "").strip() if found is not None else ""


def _reference(entry: ET.Element) -> str:
    for path in ("c:NtryDtls/c:TxDtls/c:Refs/c:EndToEndId", "c:AcctSvcrRef", "c:NtryRef"):
        value = _text(entry, path)
        if value and value != "NOTPROVIDED":
            return value
    return ""


def read_camt053(path: Path) -> list[Line]:
    """Entries (``Ntry``) of every statement in a camt.053.001.02 file."""
    data = path.read_bytes()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValidationError(f"{path.name}: DTDs and entities are refused", field="statement")
    root = ET.fromstring(data)  # noqa: S314 - no DTD can reach the parser (checked above)
    lines = []
    for number, entry in enumerate(root.iterfind(".//c:Stmt/c:Ntry", _NS), start=1):
        amount = entry.find("c:Amt", _NS)
        if amount is None or amount.text is None:
            raise ValidationError(f"{path.name}: entry {number} has no amount", field="Amt")
        money = Money.of(amount.text.strip(), amount.get("Ccy", ""))
        sign = -1 if _text(entry, "c:CdtDbtInd") == "DBIT" else 1
        when = _text(entry, "c:ValDt/c:Dt") or _text(entry, "c:BookgDt/c:Dt")
        lines.append(
            Line(
                _reference(entry),
                date.fromisoformat(when),
                sign * money.minor,
                money.currency.code,
                f"Ntry {number}",
            )
        )
    return lines


# -- matching -----------------------------------------------------------------


def _split_duplicates(lines: list[Line], report: ReconReport) -> dict[str, Line]:
    """The first line per reference; later ones with the same reference are duplicates."""
    first: dict[str, Line] = {}
    for line in sorted(lines):
        if line.reference in first:
            report.duplicates.append(line)
        else:
            first[line.reference] = line
    return first


def _compare(ours: Line, theirs: Line, amount_tolerance: int, date_tolerance: int) -> str:
    if ours.currency != theirs.currency:
        return f"currency {ours.currency} != {theirs.currency}"
    if abs(ours.minor - theirs.minor) > amount_tolerance:
        return "amount differs beyond the tolerance"
    if abs((ours.value_date - theirs.value_date).days) > date_tolerance:
        return "value date differs beyond the tolerance"
    return ""


def reconcile(
    ours: list[Line],
    theirs: list[Line],
    *,
    amount_tolerance: int = 0,
    date_tolerance_days: int = 2,
) -> ReconReport:
    """Match by reference, then unreferenced lines by amount and date; see the module doc."""
    report = ReconReport()
    referenced_ours = _split_duplicates([x for x in ours if x.reference], report)
    referenced_theirs = _split_duplicates([x for x in theirs if x.reference], report)
    for reference in sorted(set(referenced_ours) | set(referenced_theirs)):
        mine, other = referenced_ours.get(reference), referenced_theirs.get(reference)
        if mine is None:
            report.missing_in_ledger.append(other)  # type: ignore[arg-type]
        elif other is None:
            report.missing_in_statement.append(mine)
        else:
            why = _compare(mine, other, amount_tolerance, date_tolerance_days)
            if why:
                report.mismatched.append((mine, other, why))
            else:
                report.matched.append((mine, other))
    _match_unreferenced(
        sorted(x for x in ours if not x.reference),
        sorted(x for x in theirs if not x.reference),
        report,
        amount_tolerance,
        date_tolerance_days,
    )
    return report


def _match_unreferenced(
    ours: list[Line], theirs: list[Line], report: ReconReport, amount_tol: int, date_tol: int
) -> None:
    """Greedy, in sorted order: each ledger line takes the first statement line that fits."""
    pool: dict[str, list[Line]] = defaultdict(list)
    for line in theirs:
        pool[line.currency].append(line)
    for mine in ours:
        candidates = pool[mine.currency]
        match = next((t for t in candidates if not _compare(mine, t, amount_tol, date_tol)), None)
        if match is None:
            report.missing_in_statement.append(mine)
        else:
            candidates.remove(match)
            report.matched.append((mine, match))
    report.missing_in_ledger.extend(sorted(t for group in pool.values() for t in group))


__all__ = ["Line", "ReconReport", "ledger_lines", "read_camt053", "read_csv", "reconcile"]
