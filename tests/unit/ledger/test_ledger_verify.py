"""`verify` recomputes balances from the journal; proofs tie a transfer to a checkpoint."""

from __future__ import annotations

from finmon.core.money import Money
from finmon.events.merkle import verify_inclusion
from finmon.ledger import Ledger, prove_transfer, verify_ledger
from finmon.ledger.testing import customer, fund
from finmon.testing import execute_raw

ALICE, BOB = customer("alice"), customer("bob")


def busy(chart: Ledger) -> str:
    fund(chart, "alice", Money.of("100", "USD"))
    receipt = chart.move("t", ALICE, BOB, Money.of("30", "USD"))
    hold = chart.hold("h", ALICE, BOB, Money.of("5", "USD"), seconds=9)
    chart.post_hold("p", hold.transfer_id, Money.of("2", "USD"))
    return receipt.transfer_id


def test_an_untouched_ledger_verifies(chart: Ledger) -> None:
    busy(chart)
    report = verify_ledger(chart, deep=True)
    assert report.ok, report.to_dict()
    assert report.entries == 10
    assert report.accounts == 16


def test_a_balance_edited_behind_the_ledgers_back_is_found(chart: Ledger) -> None:
    busy(chart)
    execute_raw(
        chart.log.store,
        "UPDATE ledger_balances SET credits_posted = credits_posted + 1 WHERE account = ?",
        (BOB,),
    )
    report = verify_ledger(chart)
    assert not report.ok
    assert report.chain_ok
    assert report.first is not None
    assert report.first.startswith(f"account {BOB}")


def test_a_deleted_entry_is_found(chart: Ledger) -> None:
    busy(chart)
    execute_raw(chart.log.store, "DELETE FROM ledger_entries WHERE account = ?", (BOB,))
    report = verify_ledger(chart)
    assert any("sum of its postings" in p for p in report.problems)


def test_a_rewritten_journal_record_breaks_the_chain(chart: Ledger) -> None:
    busy(chart)
    execute_raw(chart.log.store, "UPDATE log_records SET body = ? WHERE seq = 3", (b"{}",))
    report = verify_ledger(chart)
    assert not report.chain_ok
    assert report.first is not None
    assert report.first.startswith("journal seq 3")


def test_a_transfer_is_proven_to_be_in_a_signed_checkpoint(chart: Ledger) -> None:
    transfer = busy(chart)
    proof = prove_transfer(chart, transfer)
    assert proof.verified
    assert verify_inclusion(proof.proof, proof.checkpoint.root)
    assert proof.to_dict()["transfer_id"] == transfer
