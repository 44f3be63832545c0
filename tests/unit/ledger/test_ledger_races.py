"""A writer that gets in between a prediction and the lock: the outcome follows the lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from finmon.core.money import Money
from finmon.ledger import Ledger, Posting, Receipt, Rejection, Transfer, verify_ledger
from finmon.ledger.journal import POSTED, REJECTED
from finmon.ledger.testing import CASH_USD, FEES, customer, fund, open_chart

ALICE, BOB = customer("alice"), customer("bob")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def _interrupt(
    monkeypatch: pytest.MonkeyPatch, ledger: Ledger, meddle: Callable[[], object]
) -> list[int]:
    """Run ``meddle`` (another writer) after ``ledger`` predicted, before it writes."""
    calls: list[int] = []
    original = ledger._write

    def write(*args: Any) -> dict[int, int]:
        if not calls:
            meddle()
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(ledger, "_write", write)
    return calls


def test_a_transfer_predicted_to_pass_is_refused_when_the_money_went_meanwhile(
    make_ledger: Callable[[], Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_ledger(), make_ledger()
    open_chart(first)
    fund(first, "alice", usd("10"))
    calls = _interrupt(monkeypatch, first, lambda: second.move("spend", ALICE, BOB, usd("8")))
    outcome = first.submit_batch([_move("late", ALICE, BOB, "5")]).outcomes[0]
    assert isinstance(outcome, Rejection)
    assert len(calls) == 2  # re-planned once under the lock
    records = [r.envelope() for r in first.log.read()]
    assert [r.type for r in records[-2:]] == [POSTED, REJECTED]
    assert first.balance(ALICE).posted == 200
    assert verify_ledger(first).ok


def test_an_unrelated_writer_in_between_changes_nothing(
    make_ledger: Callable[[], Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_ledger(), make_ledger()
    open_chart(first)
    fund(first, "alice", usd("10"))
    calls = _interrupt(monkeypatch, first, lambda: second.move("fee", CASH_USD, FEES, usd("1")))
    outcome = first.submit_batch([_move("pay", ALICE, BOB, "5")]).outcomes[0]
    assert isinstance(outcome, Receipt)
    assert len(calls) == 1
    assert first.balance(BOB).posted == 500
    assert verify_ledger(first).ok


def _move(key: str, debit: str, credit: str, amount: str) -> Transfer:
    return Transfer(key, (Posting.debit(debit, usd(amount)), Posting.credit(credit, usd(amount))))
