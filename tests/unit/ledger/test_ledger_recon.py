"""Reconciliation against CSV and camt.053 statements."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from finmon.core.errors import ValidationError
from finmon.core.money import Money
from finmon.ledger import AccountType, Ledger, Posting, Transfer
from finmon.ledger.recon import Line, ledger_lines, read_camt053, read_csv, reconcile

SAMPLES = Path("/work/shared/data/iso20022/samples/camt053")
D = date(2026, 1, 5)


def line(reference: str, minor: int, day: int = 5, source: str = "x") -> Line:
    return Line(reference, date(2026, 1, day), minor, "EUR", source)


def test_matches_mismatches_missing_and_duplicates() -> None:
    ours = [line("a", 100), line("b", 200), line("c", 300), line("d", 400), line("", 50, 6)]
    theirs = [
        line("a", 100, 6),  # a day late: within tolerance
        line("b", 201),  # a cent off
        line("d", 400, 9),  # four days late
        line("e", 500),  # we never booked it
        line("e", 500, 6, "y"),  # and it appears twice
        line("", 50, 7),  # no reference: amount and date match
    ]
    report = reconcile(ours, theirs)
    assert [(o.reference, t.reference) for o, t in report.matched] == [("a", "a"), ("", "")]
    assert [(o.reference, why) for o, _, why in report.mismatched] == [
        ("b", "amount differs beyond the tolerance"),
        ("d", "value date differs beyond the tolerance"),
    ]
    assert [x.reference for x in report.missing_in_statement] == ["c"]
    assert [x.reference for x in report.missing_in_ledger] == ["e"]
    assert [x.source_id for x in report.duplicates] == ["y"]
    assert not report.reconciled
    assert report.lag_days == 1
    assert (
        reconcile(ours, theirs, amount_tolerance=1, date_tolerance_days=4).to_dict()["counts"][
            "mismatched"
        ]
        == 0
    )


def test_the_report_is_the_same_bytes_whatever_the_input_order() -> None:
    ours = [line(f"r{i}", i * 7) for i in range(30)] + [line("", 5, 6), line("", 5, 7)]
    theirs = [line(f"r{i}", i * 7 + (i % 5 == 0)) for i in range(3, 33)] + [line("", 5, 6)]
    expected = reconcile(ours, theirs).to_json()
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(ours)
        rng.shuffle(theirs)
        assert reconcile(ours, theirs).to_json() == expected


def test_camt053_samples_are_read() -> None:
    lines = read_camt053(SAMPLES / "FI_camt_053_sample.xml")
    assert len(lines) == 10
    assert lines[0] == Line("091029ACCTSTMTARCH01", date(2009, 10, 29), -100012, "EUR", "Ntry 1")
    multi = read_camt053(SAMPLES / "camt053.v2.multi.statement.xml")
    assert [x.reference for x in multi] == ["000000001", "000000002"]


def test_a_camt053_with_a_dtd_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>')
    with pytest.raises(ValidationError, match="DTDs and entities are refused"):
        read_camt053(evil)


@pytest.mark.parametrize(
    ("row", "reason"),
    [("r1,2026-01-05,1.001,EUR", "decimal places"), ("r1,2026-13-05,1.00,EUR", "month")],
)
def test_a_bad_csv_line_is_refused_with_its_line_number(
    tmp_path: Path, row: str, reason: str
) -> None:
    path = tmp_path / "s.csv"
    path.write_text(f"reference,value_date,amount,currency\n{row}\n")
    with pytest.raises(ValidationError, match=f"line 2: .*{reason}"):
        read_csv(path)


def test_a_ledger_account_reconciles_against_a_csv(ledger: Ledger, tmp_path: Path) -> None:
    ledger.open_account("assets:nostro", AccountType.ASSET, "EUR")
    ledger.open_account("liabilities:client", AccountType.LIABILITY, "EUR")
    for n, amount in enumerate(("10.00", "25.50", "7.25")):
        money = Money.of(amount, "EUR")
        legs = (Posting.debit("assets:nostro", money), Posting.credit("liabilities:client", money))
        ledger.execute(Transfer(f"in-{n}", legs, reference=f"E2E-{n}"))
    day = ledger.clock.now().date().isoformat()
    path = tmp_path / "statement.csv"
    path.write_text(
        "reference,value_date,amount,currency\n"
        f"E2E-0,{day},10.00,EUR\nE2E-1,{day},25.50,EUR\nE2E-2,{day},7.25,EUR\n"
    )
    report = reconcile(ledger_lines(ledger, "assets:nostro"), read_csv(path))
    assert report.reconciled, report.to_dict()
    assert len(report.matched) == 3
