"""Check the ledger against its journal, and prove one transfer's inclusion.

:func:`verify_ledger` trusts nothing it can recompute:

1. the journal's hash chain, checkpoints and signatures (``Log.verify``);
2. every balance, rebuilt by summing the entries recorded in the journal,
   against the ``ledger_balances`` table;
3. every balance against the sum of its rows in ``ledger_entries``;
4. every currency's debits against its credits (posted and pending).

The first problem found is named; the CLI exits 1 on any.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from finmon.core.errors import ValidationError
from finmon.events.log import verify_record_proof
from finmon.events.merkle import InclusionProof
from finmon.events.stores.base import Checkpoint
from finmon.ledger.journal import OPENED, entries_of
from finmon.ledger.ledger import Ledger
from finmon.ledger.model import Bucket

Sums = dict[str, list[int]]


@dataclass(slots=True)
class LedgerReport:
    """What :func:`verify_ledger` found; ``ok`` when ``problems`` is empty."""

    records: int = 0
    accounts: int = 0
    entries: int = 0
    chain_ok: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> str | None:
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "chain_ok": self.chain_ok,
            "records_checked": self.records,
            "accounts_checked": self.accounts,
            "entries_checked": self.entries,
            "first_problem": self.first,
            "problems": self.problems[:100],
        }


def _replay(ledger: Ledger, report: LedgerReport) -> tuple[Sums, set[str]]:
    sums: Sums = defaultdict(lambda: [0, 0, 0, 0])
    opened: set[str] = set()
    for record in ledger.log.read():
        report.records += 1
        try:
            envelope = record.envelope()
        except ValidationError as exc:
            report.problems.append(f"journal seq {record.seq}: unreadable record: {exc.message}")
            continue
        if envelope.type == OPENED:
            opened.add(str(envelope.payload["id"]))
        for entry in entries_of(envelope):
            offset = 0 if entry.bucket is Bucket.POSTED else 2
            row = sums[entry.account]
            row[offset] += entry.debit
            row[offset + 1] += entry.credit
            report.entries += 1
    return sums, opened


def _table(ledger: Ledger, sql: str) -> Sums:
    return {row[0]: [int(v) for v in row[1:]] for row in ledger.read_rows(sql)}


def _compare(name: str, expected: Sums, found: Sums, accounts: set[str]) -> list[str]:
    problems = []
    for account in sorted(accounts | set(expected) | set(found)):
        want = expected.get(account, [0, 0, 0, 0])
        got = found.get(account, [0, 0, 0, 0])
        if want != got:
            problems.append(
                f"account {account}: balance {got} (debits/credits posted, pending) does not "
                f"equal the {name} {want}"
            )
    return problems


def _zero_sum(sums: Sums, currency_of: dict[str, str]) -> list[str]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for account, row in sums.items():
        total = totals[currency_of.get(account, "?")]
        for i in range(4):
            total[i] += row[i]
    return [
        f"currency {currency}: debits {t[0]} != credits {t[1]} (posted) or "
        f"{t[2]} != {t[3]} (pending)"
        for currency, t in sorted(totals.items())
        if t[0] != t[1] or t[2] != t[3]
    ]


def verify_ledger(ledger: Ledger, *, deep: bool = False) -> LedgerReport:
    """Recompute every balance from the journal and check the chain; see the module doc."""
    report = LedgerReport()
    chain = ledger.log.verify(deep=deep)
    if not chain.ok and chain.first is not None:
        report.chain_ok = False
        first = chain.first
        report.problems.append(f"journal seq {first.seq}: {first.kind}: {first.detail}")
    replayed, opened = _replay(ledger, report)
    table = _table(
        ledger,
        "SELECT account, debits_posted, credits_posted, debits_pending, credits_pending"
        " FROM ledger_balances",
    )
    entries = _table(
        ledger,
        "SELECT account,"
        " coalesce(sum(CASE WHEN bucket = 'posted' THEN debit END), 0),"
        " coalesce(sum(CASE WHEN bucket = 'posted' THEN credit END), 0),"
        " coalesce(sum(CASE WHEN bucket = 'pending' THEN debit END), 0),"
        " coalesce(sum(CASE WHEN bucket = 'pending' THEN credit END), 0)"
        " FROM ledger_entries GROUP BY account",
    )
    accounts = ledger.accounts()
    report.accounts = len(accounts)
    ids = {a.id for a in accounts}
    report.problems.extend(_compare("sum of its journal entries", replayed, table, ids))
    report.problems.extend(_compare("sum of its postings", entries, table, ids))
    report.problems.extend(
        f"account {name} is in the tables but was never opened in the journal"
        for name in sorted(ids - opened)
    )
    report.problems.extend(_zero_sum(replayed, {a.id: a.currency for a in accounts}))
    return report


@dataclass(frozen=True, slots=True)
class TransferProof:
    """A transfer's journal record, its Merkle path and the signed checkpoint it leads to."""

    transfer_id: str
    proof: InclusionProof
    checkpoint: Checkpoint
    log_id: str
    verified: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "transfer_id": self.transfer_id,
            "log_id": self.log_id,
            "verified": self.verified,
            "proof": self.proof.to_dict(),
            "checkpoint": self.checkpoint.to_dict(),
        }


def prove_transfer(ledger: Ledger, transfer_id: str) -> TransferProof:
    """Prove ``transfer_id`` is in a signed checkpoint (signing one now if none covers it yet)."""
    seq = ledger.transfer_seq(transfer_id)
    if not any(c.seq_from <= seq <= c.seq_to for c in ledger.log.checkpoints()):
        ledger.log.checkpoint_now()
    proof, checkpoint = ledger.log.prove(seq)
    log_id = ledger.log.store.log_id()
    verified = verify_record_proof(proof, checkpoint, ledger.log.signer.public_key, log_id)
    return TransferProof(transfer_id, proof, checkpoint, log_id, verified)


__all__ = ["LedgerReport", "TransferProof", "prove_transfer", "verify_ledger"]
