"""Decide what one operation does to the book: accept (with its entries) or reject.

``plan(command, book, ...)`` is pure apart from updating the in-memory
:class:`~finmon.ledger.book.Book` when it accepts. The ledger calls it twice
per operation: once outside the database lock to predict the outcome (and so
what to write in the journal), and once inside, against freshly read state, to
confirm it; if the two disagree another writer got in between, and the
operation is planned again (see :mod:`finmon.ledger.ledger`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from finmon.core.errors import Problem
from finmon.core.money import Money
from finmon.ledger.book import Book, HoldState, KeyState, NewTransfer
from finmon.ledger.checks import (
    check_accounts,
    check_limits,
    check_new_account,
    check_shape,
    entries_for,
)
from finmon.ledger.commands import (
    ChangeStatus,
    Command,
    ExpireHold,
    OpenAccount,
    PostHold,
    Reverse,
    Transfer,
    VoidHold,
    body_hash,
)
from finmon.ledger.lifecycle import next_status
from finmon.ledger.model import Bucket, Entry, Posting, Status

ACCEPTED = "accepted"
REJECTED = "rejected"
REPLAYED = "replayed"
_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Plan:
    """The outcome of one operation, before it is written.

    Attributes:
        status: accepted, rejected, or replayed (a retry of an accepted key).
        id: the transfer (or account) id; for a replay, the first result's.
        entries: every balance change, in order (empty unless accepted).
        problems: why it was rejected.
        code: the rejection's code (``rejected``, ``conflict``, ``not_found``).
        seq: for a replay, the first result's journal sequence number.
    """

    status: str
    id: str
    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()
    code: str = ""
    seq: int = 0


def plan(command: Command, book: Book, *, new_id: str, now_us: int) -> Plan:
    """What ``command`` does against ``book`` now; updates ``book`` when accepted."""
    digest = body_hash(command)
    known = book.keys.get(command.key)
    if known is not None:
        if known.body_hash == digest:
            return Plan(REPLAYED, known.transfer_id, seq=known.seq)
        return _reject(
            new_id,
            "conflict",
            Problem(
                "key",
                f"idempotency key {command.key!r} was first used for a different "
                f"{known.kind} ({known.transfer_id})",
                "conflict",
            ),
        )
    return _dispatch(command, book, new_id, now_us, digest)


def _dispatch(command: Command, book: Book, new_id: str, now_us: int, digest: str) -> Plan:
    if isinstance(command, Transfer):
        return _transfer(command, book, new_id, now_us, digest)
    if isinstance(command, PostHold | VoidHold | ExpireHold):
        return _resolve_hold(command, book, new_id, now_us, digest)
    if isinstance(command, Reverse):
        return _reverse(command, book, new_id, digest)
    if isinstance(command, OpenAccount):
        return _open(command, book, digest)
    return _change_status(command, book, digest)


def _reject(new_id: str, code: str, *problems: Problem) -> Plan:
    return Plan(REJECTED, new_id, problems=tuple(problems), code=code)


def _accept(
    command: Command,
    book: Book,
    new_id: str,
    digest: str,
    entries: tuple[Entry, ...],
    *,
    link: str | None = None,
    hold: HoldState | None = None,
) -> Plan:
    """Check limits, then apply ``entries`` to the book and remember the key."""
    problems = check_limits(book, entries)
    if problems:
        return _reject(new_id, "rejected", *problems)
    book.apply(entries)
    reference = command.reference if isinstance(command, Transfer) else ""
    row = NewTransfer(new_id, command.key, digest, command.kind, link, entries, hold, reference)
    book.record(command.key, KeyState(digest, new_id, 0, command.kind), row)
    return Plan(ACCEPTED, new_id, entries)


def _transfer(command: Transfer, book: Book, new_id: str, now_us: int, digest: str) -> Plan:
    problems = check_shape(command.postings) + check_accounts(book, command.postings)
    if command.adjustment and not command.memo.strip():
        problems.append(Problem("memo", "an adjustment needs a memo saying why", "missing"))
    if problems:
        return _reject(new_id, "rejected", *problems)
    if command.hold_seconds is None:
        return _accept(command, book, new_id, digest, entries_for(command.postings, Bucket.POSTED))
    entries = entries_for(command.postings, Bucket.PENDING)
    hold = HoldState(new_id, "pending", now_us + command.hold_seconds * _US, entries)
    return _accept(command, book, new_id, digest, entries, hold=hold)


def _releases(hold: HoldState) -> tuple[Entry, ...]:
    return tuple(
        Entry(e.account, e.currency, -e.debit, -e.credit, Bucket.PENDING) for e in hold.entries
    )


def _hold_problem(
    command: PostHold | VoidHold | ExpireHold, book: Book, now_us: int
) -> Problem | None:
    hold = book.holds.get(command.hold)
    if hold is None:
        return Problem("hold", f"hold {command.hold} does not exist", "not_found")
    if hold.status != "pending":
        return Problem("hold", f"hold {hold.id} is already {hold.status}", f"hold_{hold.status}")
    expired = now_us >= hold.expires_at_us
    if isinstance(command, ExpireHold) and not expired:
        return Problem("hold", f"hold {hold.id} has not expired yet", "not_expired")
    if isinstance(command, PostHold) and expired:
        return Problem("hold", f"hold {hold.id} expired; it can no longer be posted", "expired")
    return None


def _resolve_hold(
    command: PostHold | VoidHold | ExpireHold, book: Book, new_id: str, now_us: int, digest: str
) -> Plan:
    problem = _hold_problem(command, book, now_us)
    if problem is not None:
        return _reject(new_id, problem.code if problem.code == "not_found" else "rejected", problem)
    hold = book.holds[command.hold]
    assert hold is not None  # noqa: S101 - _hold_problem checked it
    entries = _releases(hold)
    if isinstance(command, PostHold):
        posted = _posted_part(command, hold)
        if isinstance(posted, Problem):
            return _reject(new_id, "rejected", posted)
        accounts = check_accounts(book, _as_postings(posted))
        if accounts:
            return _reject(new_id, "rejected", *accounts)
        entries += posted
    result = _accept(command, book, new_id, digest, entries, link=hold.id)
    if result.status == ACCEPTED:
        status = {"post_hold": "posted", "void_hold": "voided"}.get(command.kind, "expired")
        hold.status = status
        book.resolved_holds[hold.id] = status
    return result


def _posted_part(command: PostHold, hold: HoldState) -> tuple[Entry, ...] | Problem:
    """The entries a post makes: the hold's own, or a part of a two-leg hold."""
    full = tuple(dataclasses.replace(e, bucket=Bucket.POSTED) for e in hold.entries)
    if command.amount is None:
        return full
    held = sum(e.debit for e in hold.entries)
    currency = hold.entries[0].currency
    amount: Money = command.amount
    if amount.currency.code != currency or not 0 < amount.minor <= held:
        return Problem(
            "amount",
            f"hold {hold.id} holds {Money(held, currency)}; cannot post {amount}",
            "invalid_amount",
        )
    if amount.minor == held:
        return full
    if len(hold.entries) != 2:
        return Problem("amount", f"hold {hold.id} has more than two legs: post it in full")
    return tuple(
        Entry(
            e.account,
            e.currency,
            amount.minor if e.debit else 0,
            amount.minor if e.credit else 0,
            Bucket.POSTED,
        )
        for e in hold.entries
    )


def _as_postings(entries: tuple[Entry, ...]) -> tuple[Posting, ...]:
    return tuple(Posting(e.account, Money(e.debit - e.credit, e.currency)) for e in entries)


def _reverse(command: Reverse, book: Book, new_id: str, digest: str) -> Plan:
    original = book.transfers.get(command.transfer)
    if original is None:
        problem = Problem("transfer", f"transfer {command.transfer} does not exist", "not_found")
        return _reject(new_id, "not_found", problem)
    refusal = {
        "reversal": ("reversal_of_reversal", "is itself a reversal and cannot be reversed"),
        "hold": ("hold", "is a hold: void it instead"),
        "void_hold": ("not_reversible", "released a hold and moved no money"),
        "expire_hold": ("not_reversible", "released a hold and moved no money"),
    }.get(original.kind)
    if refusal is None and original.reversed_by is not None:
        refusal = ("already_reversed", f"was already reversed by {original.reversed_by}")
    if refusal is not None:
        code, reason = refusal
        return _reject(
            new_id, "rejected", Problem("transfer", f"transfer {original.id} {reason}", code)
        )
    entries = tuple(
        Entry(e.account, e.currency, e.credit, e.debit, Bucket.POSTED) for e in original.entries
    )
    accounts = check_accounts(book, _as_postings(entries))
    if accounts:
        return _reject(new_id, "rejected", *accounts)
    result = _accept(command, book, new_id, digest, entries, link=original.id)
    if result.status == ACCEPTED:
        original.reversed_by = new_id
        book.reversed[original.id] = new_id
    return result


def _open(command: OpenAccount, book: Book, digest: str) -> Plan:
    account = command.account
    if book.accounts.get(account.id) is not None:
        problem = Problem("id", f"account {account.id} already exists", "exists")
        return _reject(account.id, "conflict", problem)
    problems = check_new_account(book, account)
    if problems:
        return _reject(account.id, "rejected", *problems)
    book.add_account(dataclasses.replace(account, status=Status.OPEN))
    book.record(command.key, KeyState(digest, account.id, 0, command.kind), None)
    return Plan(ACCEPTED, account.id)


def _change_status(command: ChangeStatus, book: Book, digest: str) -> Plan:
    account = book.accounts.get(command.account)
    if account is None:
        problem = Problem("account", f"account {command.account} does not exist", "not_found")
        return _reject(command.account, "not_found", problem)
    target = next_status(account.status, command.trigger)
    if target is None:
        reason = f"cannot {command.trigger} account {account.id}: it is {account.status.value}"
        return _reject(account.id, "conflict", Problem("account", reason, "invalid_transition"))
    balance = book.balance(account)
    if target is Status.CLOSED and (balance.posted or balance.pending):
        reason = f"account {account.id} still has a balance; move it out before closing"
        return _reject(account.id, "conflict", Problem("account", reason, "not_empty"))
    book.set_account(dataclasses.replace(account, status=target))
    book.record(command.key, KeyState(digest, account.id, 0, command.kind), None)
    return Plan(ACCEPTED, account.id)


__all__ = ["ACCEPTED", "REJECTED", "REPLAYED", "Plan", "plan"]
