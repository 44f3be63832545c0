"""Transfers: balanced postings, idempotency, every kind of bad input, batches."""

from __future__ import annotations

from typing import Any

import pytest

from finmon.core.errors import ConflictError, NotFoundError, ValidationError
from finmon.core.money import Money
from finmon.ledger import Ledger, Posting, Receipt, Rejection, Reverse, Transfer
from finmon.ledger.commands import transfer_from_dict
from finmon.ledger.journal import POSTED, REJECTED
from finmon.ledger.testing import CASH_EUR, CASH_USD, FEES, customer, fund, fx_postings

ALICE, BOB = customer("alice"), customer("bob")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


def state(ledger: Ledger) -> tuple[int, list[tuple[str, list[int]]]]:
    """Everything a rejected operation must leave unchanged (besides its audit record)."""
    balances = [
        (a.id, [b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending])
        for a, b in ledger.all_balances()
    ]
    entries = ledger.read_rows("SELECT count(*) FROM ledger_entries")[0][0]
    return int(entries), balances


def test_a_transfer_moves_money_and_is_journaled(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    receipt = chart.move("t1", ALICE, BOB, usd("30.25"), memo="rent")
    assert chart.balance(ALICE).posted == 6975
    assert chart.balance(BOB).posted == 3025
    record = next(r for r in chart.log.read(receipt.seq, receipt.seq)).envelope()
    assert record.type == POSTED
    assert record.payload["id"] == receipt.transfer_id
    assert record.payload["body"]["memo"] == "rent"


def test_a_retry_returns_the_first_result_and_changes_nothing(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    first = chart.move("t1", ALICE, BOB, usd("10"))
    before = state(chart)
    again = chart.move("t1", ALICE, BOB, usd("10"))
    assert again.replayed
    assert (again.transfer_id, again.seq) == (first.transfer_id, first.seq)
    assert state(chart) == before
    assert chart.log.head().seq == first.seq


def test_the_same_key_with_another_body_is_a_conflict(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    chart.move("t1", ALICE, BOB, usd("10"))
    before = state(chart)
    with pytest.raises(ConflictError, match="'t1' was first used"):
        chart.move("t1", ALICE, BOB, usd("11"))
    assert state(chart) == before


def test_a_multi_currency_transfer_goes_through_fx_positions(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    postings = fx_postings(ALICE, customer("bob", "EUR"), usd("10"), Money.of("9.20", "EUR"))
    chart.transfer("fx1", postings)
    assert chart.balance(customer("bob", "EUR")).posted == 920
    assert chart.balance(ALICE).posted == 9000


BAD: list[tuple[str, list[Posting], str, str]] = [
    (
        "unbalanced",
        [Posting(CASH_USD, usd("5")), Posting(BOB, usd("-4"))],
        "postings",
        "do not balance in USD: debits exceed credits by 1.00 USD",
    ),
    ("one leg", [Posting(CASH_USD, usd("5"))], "postings", "at least two postings"),
    (
        "zero",
        [Posting(CASH_USD, usd("0")), Posting(BOB, usd("0"))],
        "postings.0",
        "assets:cash:usd: amount is zero",
    ),
    (
        "unknown",
        [Posting("assets:ghost", usd("5")), Posting(BOB, usd("-5"))],
        "postings.0",
        "account assets:ghost does not exist",
    ),
    (
        "currency",
        [Posting(CASH_EUR, usd("5")), Posting(BOB, usd("-5"))],
        "postings.0",
        "account assets:cash:eur is in EUR, the posting in USD",
    ),
    (
        "overdraft",
        [Posting(ALICE, usd("500")), Posting(BOB, usd("-500"))],
        f"account:{ALICE}",
        "beyond its overdraft limit of 0.00 USD",
    ),
]


@pytest.mark.parametrize(("name", "postings", "field", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_transfers_are_rejected_whole_with_the_account_and_reason(
    chart: Ledger, name: str, postings: list[Posting], field: str, reason: str
) -> None:
    fund(chart, "alice", usd("100"))
    before = state(chart)
    # A valid pair of legs rides along: it must not be written either.
    valid = (Posting(CASH_USD, usd("0.01")), Posting(FEES, usd("-0.01")))
    legs = tuple(postings) if name == "one leg" else (*postings, *valid)
    outcome = chart.submit(Transfer(f"bad-{name}", legs))
    assert isinstance(outcome, Rejection)
    assert any(p.field == field and reason in p.reason for p in outcome.problems), outcome
    assert state(chart) == before
    audit = next(r for r in chart.log.read(outcome.seq, outcome.seq)).envelope()
    assert audit.type == REJECTED
    assert audit.payload["key"] == f"bad-{name}"


@pytest.mark.parametrize("status", ["frozen", "closed"])
def test_postings_to_frozen_or_closed_accounts_are_rejected(chart: Ledger, status: str) -> None:
    (chart.freeze if status == "frozen" else chart.close_account)(BOB)
    with pytest.raises(ValidationError, match=f"account {BOB} is {status}") as caught:
        chart.move("t", CASH_USD, BOB, usd("1"))
    assert caught.value.problems[0].code == status


def test_debits_must_not_exceed_credits_counts_pending_holds(chart: Ledger) -> None:
    fund(chart, "alice", usd("10"))
    chart.hold("h", ALICE, BOB, usd("8"), seconds=60)
    with pytest.raises(ValidationError, match="overdraft limit|debits would exceed"):
        chart.move("t", ALICE, BOB, usd("3"))


def test_money_in_is_never_refused_even_beyond_a_limit(chart: Ledger) -> None:
    chart.move("t", CASH_USD, ALICE, usd("1"))
    assert chart.balance(ALICE).posted == 100


def test_an_adjustment_needs_a_memo(chart: Ledger) -> None:
    legs = [Posting(CASH_USD, usd("1")), Posting(FEES, usd("-1"))]
    with pytest.raises(ValidationError, match="needs a memo"):
        chart.adjust("adj", legs, memo=" ")
    receipt = chart.adjust("adj2", legs, memo="fee missed on 2026-01-01")
    assert receipt.kind == "adjustment"


def test_reversal_is_a_linked_transfer_and_cannot_itself_be_reversed(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    original = chart.move("t", ALICE, BOB, usd("40"))
    reversal = chart.reverse("r", original.transfer_id, memo="sent in error")
    assert chart.balance(ALICE).posted == 10000
    assert chart.balance(BOB).posted == 0
    with pytest.raises(ValidationError, match="is itself a reversal") as caught:
        chart.reverse("rr", reversal.transfer_id)
    assert caught.value.problems[0].code == "reversal_of_reversal"
    with pytest.raises(ValidationError, match="already reversed"):
        chart.reverse("r2", original.transfer_id)
    with pytest.raises(NotFoundError, match="does not exist"):
        chart.reverse("r3", "nope")


def test_a_reversal_that_would_overdraw_is_refused(chart: Ledger) -> None:
    fund(chart, "alice", usd("100"))
    original = chart.move("t", ALICE, BOB, usd("40"))
    chart.move("spend", BOB, CASH_USD, usd("40"))
    with pytest.raises(ValidationError, match=f"account {BOB}: available balance"):
        chart.reverse("r", original.transfer_id)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"key": "k", "postings": [{"account": ALICE, "amount": "1.005 USD"}]}, "decimal places"),
        ({"key": "k", "postings": [{"account": ALICE, "amount": 1.5}]}, "an amount is"),
        ({"postings": []}, "idempotency key is required"),
        ({"key": "k", "postings": [{"amount": "1 USD"}]}, "needs an account"),
    ],
)
def test_unreadable_input_is_refused_and_audited(
    chart: Ledger, data: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        transfer_from_dict(data)
    rejection = chart.reject_input(str(data.get("key", "")), "transfer", caught.value)
    audit = next(r for r in chart.log.read(rejection.seq)).envelope()
    assert audit.type == REJECTED
    assert reason in audit.payload["problems"][0][1]


def test_a_batch_accepts_and_rejects_each_transfer_on_its_own(chart: Ledger) -> None:
    fund(chart, "alice", usd("10"))
    batch = [
        Transfer("b1", (Posting(ALICE, usd("6")), Posting(BOB, usd("-6")))),
        Transfer("b2", (Posting(ALICE, usd("6")), Posting(BOB, usd("-6")))),  # overdraws now
        Transfer("b3", (Posting(BOB, usd("2")), Posting(ALICE, usd("-2")))),
        Transfer("b1", (Posting(ALICE, usd("6")), Posting(BOB, usd("-6")))),  # a retry
        Reverse("b4", "missing"),
    ]
    result = chart.submit_batch(batch)
    kinds = [type(o).__name__ for o in result.outcomes]
    assert kinds == ["Receipt", "Rejection", "Receipt", "Receipt", "Rejection"]
    retry = result.outcomes[3]
    assert isinstance(retry, Receipt)
    assert retry.replayed
    assert retry.transfer_id == result.outcomes[0].to_dict()["transfer_id"]
    assert chart.balance(ALICE).posted == 600
    assert chart.balance(BOB).posted == 400
    assert [r.code for r in result.rejected] == ["rejected", "not_found"]


def test_an_empty_batch_does_nothing(chart: Ledger) -> None:
    head = chart.log.head().seq
    assert chart.submit_batch([]).outcomes == []
    assert chart.log.head().seq == head
