"""Balances as of the past, statements, trial balance and balance sheet."""

from __future__ import annotations

from datetime import timedelta

from finmon.core.clock import SimulatedClock
from finmon.core.money import Money
from finmon.ledger import AccountType, Ledger, balance_sheet, trial_balance
from finmon.ledger.testing import CASH_USD, FEES, customer, fund

ALICE, BOB = customer("alice"), customer("bob")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def test_balances_as_of_a_sequence_number_and_a_time(chart: Ledger, clock: SimulatedClock) -> None:
    start = clock.now()
    first = chart.move("f", CASH_USD, ALICE, usd("100"))
    clock.advance(60)
    chart.move("t", ALICE, BOB, usd("30"))
    assert chart.balance(ALICE, as_of_seq=first.seq).posted == 10000
    assert chart.balance(ALICE, as_of_seq=first.seq - 1).posted == 0
    assert chart.balance(ALICE, at=start + timedelta(seconds=59)).posted == 10000
    assert chart.balance(ALICE, at=clock.now()).posted == 7000
    assert chart.balance(ALICE).posted == 7000


def test_a_statement_lists_entries_with_a_running_balance(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    second = chart.move("t1", ALICE, BOB, usd("30"))
    chart.move("t2", BOB, ALICE, usd("5"))
    statement = chart.statement(ALICE, from_seq=second.seq)
    assert statement.opening.posted == 10000
    assert [line.balance for line in statement.lines] == [7000, 7500]
    assert [line.kind for line in statement.lines] == ["transfer", "transfer"]
    assert statement.closing.posted == 7500
    assert statement.to_dict()["lines"][0]["debit"] == "30.00"


def test_trial_balance_columns_agree_per_currency(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    fund(chart, "bob", Money.of("50", "EUR"))
    chart.move("fee", ALICE, FEES, usd("1.50"))
    report = trial_balance(chart.all_balances())
    assert report.balanced
    assert report.debits == {"USD": 10000, "EUR": 5000}
    row = next(r for r in report.rows if r.account == FEES)
    assert (row.debit, row.credit) == (0, 150)
    assert report.to_dict()["totals"]["EUR"] == {"debit": "50.00", "credit": "50.00"}


def test_balance_sheet_rolls_up_and_balances(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    chart.move("fee", ALICE, FEES, usd("1.50"))
    sheet = balance_sheet(chart.all_balances())
    assert sheet.balanced
    assets = {line.account: line for line in sheet.lines[AccountType.ASSET]}
    assert assets["assets"].rolled_up == 10000
    assert assets["assets"].own == 0
    assert sheet.total(AccountType.LIABILITY, "USD") == 9850
    assert sheet.total(AccountType.INCOME, "USD") == 150
    assert sheet.to_dict()["sections"]["asset"]["totals"] == {"EUR": "0.00", "USD": "100.00"}


def test_reports_as_of_an_earlier_sequence(chart: Ledger) -> None:
    first = chart.move("f", CASH_USD, ALICE, usd("100"))
    chart.move("g", CASH_USD, BOB, usd("7"))
    old = dict((a.id, b.posted) for a, b in chart.all_balances(as_of_seq=first.seq))
    assert old[BOB] == 0
    assert old[ALICE] == 10000
