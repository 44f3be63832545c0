"""Two-phase transfers: a hold reserves, then is posted (in full or part), voided or expires."""

from __future__ import annotations

import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import NotFoundError, ValidationError
from finmon.core.money import Money
from finmon.ledger import Ledger, Posting, Transfer
from finmon.ledger.testing import CASH_USD, FEES, customer, fund

ALICE, BOB = customer("alice"), customer("bob")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


@pytest.fixture
def held(chart: Ledger) -> tuple[Ledger, str]:
    fund(chart, "alice", usd("100"))
    receipt = chart.hold("h", ALICE, BOB, usd("60"), seconds=30)
    return chart, receipt.transfer_id


def test_a_hold_reserves_funds_without_moving_them(held: tuple[Ledger, str]) -> None:
    ledger, _ = held
    alice = ledger.balance(ALICE)
    assert (alice.posted, alice.available) == (10000, 4000)
    assert ledger.balance(BOB).posted == 0
    with pytest.raises(ValidationError, match="overdraft limit"):
        ledger.move("t", ALICE, BOB, usd("41"))


def test_posting_in_full(held: tuple[Ledger, str]) -> None:
    ledger, hold = held
    ledger.post_hold("p", hold)
    alice = ledger.balance(ALICE)
    assert (alice.posted, alice.pending, alice.available) == (4000, 0, 4000)
    assert ledger.balance(BOB).posted == 6000


def test_posting_in_part_releases_the_rest(held: tuple[Ledger, str]) -> None:
    ledger, hold = held
    ledger.post_hold("p", hold, usd("25"))
    alice = ledger.balance(ALICE)
    assert (alice.posted, alice.available) == (7500, 7500)
    assert ledger.balance(BOB).posted == 2500


@pytest.mark.parametrize("amount", ["60.01", "0"])
def test_posting_more_than_held_or_nothing_is_refused(
    held: tuple[Ledger, str], amount: str
) -> None:
    ledger, hold = held
    with pytest.raises(ValidationError, match="holds 60.00 USD; cannot post"):
        ledger.post_hold("p", hold, usd(amount))


def test_a_hold_posted_twice_is_refused(held: tuple[Ledger, str]) -> None:
    ledger, hold = held
    ledger.post_hold("p1", hold)
    with pytest.raises(ValidationError, match=f"hold {hold} is already posted") as caught:
        ledger.post_hold("p2", hold)
    assert caught.value.problems[0].code == "hold_posted"
    assert ledger.post_hold("p1", hold).replayed  # the same request again is a retry


def test_void_releases_everything(held: tuple[Ledger, str]) -> None:
    ledger, hold = held
    ledger.void_hold("v", hold)
    assert ledger.balance(ALICE).available == 10000
    with pytest.raises(ValidationError, match="already voided"):
        ledger.post_hold("p", hold)


def test_holds_expire_on_the_injected_clock(
    held: tuple[Ledger, str], clock: SimulatedClock
) -> None:
    ledger, hold = held
    assert ledger.expire_holds().outcomes == []
    clock.advance(30)
    with pytest.raises(ValidationError, match="expired; it can no longer be posted"):
        ledger.post_hold("late", hold)
    result = ledger.expire_holds()
    assert [o.accepted for o in result.outcomes] == [True]
    assert ledger.balance(ALICE).available == 10000
    assert ledger.expire_holds().outcomes == []


def test_unknown_holds_are_not_found(chart: Ledger) -> None:
    with pytest.raises(NotFoundError, match="hold nope does not exist"):
        chart.void_hold("v", "nope")


def test_a_hold_cannot_be_reversed_and_a_multi_leg_hold_posts_only_in_full(
    chart: Ledger,
) -> None:
    legs = (
        Posting(CASH_USD, usd("3")),
        Posting(BOB, usd("-2")),
        Posting(FEES, usd("-1")),
    )
    hold = chart.execute(Transfer("h3", legs, hold_seconds=10))
    with pytest.raises(ValidationError, match="is a hold: void it instead"):
        chart.reverse("r", hold.transfer_id)
    with pytest.raises(ValidationError, match="more than two legs"):
        chart.post_hold("p", hold.transfer_id, usd("1"))
    chart.post_hold("p2", hold.transfer_id)
    assert chart.balance(FEES).posted == 100
