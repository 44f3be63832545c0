"""The chart of accounts and the account lifecycle."""

from __future__ import annotations

import pytest

from finmon.core.errors import ConflictError, NotFoundError, ValidationError
from finmon.core.money import Money
from finmon.ledger import TRANSITIONS, AccountType, Ledger, Side, Status
from finmon.ledger.journal import REJECTED
from finmon.ledger.testing import CASH_USD, customer, fund

USD = "USD"


def test_opened_accounts_form_a_chart_with_normal_sides(chart: Ledger) -> None:
    cash = chart.account(CASH_USD)
    assert cash.type is AccountType.ASSET
    assert cash.side is Side.DEBIT
    assert cash.parent == "assets:cash"
    deposit = chart.account(customer("alice"))
    assert deposit.side is Side.CREDIT
    assert deposit.overdraft_limit == 0
    assert [a.id for a in chart.accounts()] == sorted(a.id for a in chart.accounts())


def test_a_contra_account_keeps_its_own_normal_side(ledger: Ledger) -> None:
    ledger.open_account("assets", AccountType.ASSET, USD)
    ledger.open_account(
        "assets:allowance", AccountType.ASSET, USD, parent="assets", normal_side=Side.CREDIT
    )
    assert ledger.account("assets:allowance").side is Side.CREDIT


def test_opening_twice_with_the_same_key_is_a_retry(ledger: Ledger) -> None:
    first = ledger.open_account("assets", AccountType.ASSET, USD)
    again = ledger.open_account("assets", AccountType.ASSET, USD)
    assert again.replayed
    assert again.seq == first.seq


def test_an_existing_account_under_another_key_is_a_conflict(ledger: Ledger) -> None:
    ledger.open_account("assets", AccountType.ASSET, USD)
    with pytest.raises(ConflictError, match="already exists"):
        ledger.open_account("assets", AccountType.ASSET, USD, key="other")


@pytest.mark.parametrize(
    ("account_id", "currency", "parent", "reason"),
    [
        ("bad id!", USD, None, "letters, digits"),
        ("assets:x", "XXQ", None, "not a known currency"),
        ("assets:x", USD, "nowhere", "parent account nowhere does not exist"),
        ("assets:x", USD, "income", "is a income account"),
    ],
)
def test_a_malformed_account_is_refused_with_its_reason(
    ledger: Ledger, account_id: str, currency: str, parent: str | None, reason: str
) -> None:
    ledger.open_account("income", AccountType.INCOME, USD)
    with pytest.raises(ValidationError, match=reason):
        ledger.open_account(account_id, AccountType.ASSET, currency, parent=parent)
    assert {a.id for a in ledger.accounts()} == {"income"}


def test_a_negative_overdraft_limit_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="overdraft_limit"):
        ledger.open_account("a", AccountType.ASSET, USD, overdraft_limit=Money(-1, USD))


def test_the_status_table_allows_exactly_these_moves() -> None:
    assert TRANSITIONS == {
        (Status.OPEN, "freeze"): Status.FROZEN,
        (Status.FROZEN, "unfreeze"): Status.OPEN,
        (Status.OPEN, "close"): Status.CLOSED,
        (Status.FROZEN, "close"): Status.CLOSED,
    }


def test_freeze_unfreeze_close(chart: Ledger) -> None:
    bob = customer("bob")
    chart.freeze(bob)
    assert chart.account(bob).status is Status.FROZEN
    with pytest.raises(ConflictError, match="cannot freeze .* it is frozen"):
        chart.freeze(bob)
    chart.unfreeze(bob)
    chart.close_account(bob)
    assert chart.account(bob).status is Status.CLOSED
    for trigger in (chart.freeze, chart.unfreeze, chart.close_account):
        with pytest.raises(ConflictError, match="it is closed"):
            trigger(bob)


def test_an_account_with_a_balance_cannot_be_closed(chart: Ledger) -> None:
    fund(chart, "alice", Money.of("5", USD))
    with pytest.raises(ConflictError, match="still has a balance"):
        chart.close_account(customer("alice"))
    assert chart.account(customer("alice")).status is Status.OPEN


def test_status_change_of_an_unknown_account_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="ghost does not exist"):
        ledger.freeze("ghost")
    with pytest.raises(NotFoundError):
        ledger.account("ghost")


def test_refused_account_operations_leave_an_audit_record(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError):
        ledger.freeze("ghost")
    records = [r.envelope() for r in ledger.log.read()]
    assert records[-1].type == REJECTED
    assert records[-1].payload["problems"][0][1] == "account ghost does not exist"
