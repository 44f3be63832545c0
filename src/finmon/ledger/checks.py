"""Validations of a set of entries against the book: data, not exceptions.

Each check returns :class:`~finmon.core.errors.Problem` values whose field is
the posting (``postings.2``) or account concerned and whose reason names the
account, so a rejected transfer says exactly which leg failed and why, and
every problem of a transfer is reported at once (beancount's style).
"""

from __future__ import annotations

import re
from collections import defaultdict

from finmon.core.errors import Problem
from finmon.core.money import Money
from finmon.ledger.book import Book
from finmon.ledger.model import Account, Balance, Bucket, Entry, Flags, Posting, Status

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._/-]{0,127}$")


def entries_for(postings: tuple[Posting, ...], bucket: Bucket) -> tuple[Entry, ...]:
    """Postings as stored entries: a positive amount debits, a negative one credits."""
    return tuple(
        Entry(
            p.account,
            p.amount.currency.code,
            max(p.amount.minor, 0),
            max(-p.amount.minor, 0),
            bucket,
        )
        for p in postings
    )


def check_shape(postings: tuple[Posting, ...]) -> list[Problem]:
    """At least two legs, no zero legs, and the legs sum to zero in every currency."""
    problems: list[Problem] = []
    if len(postings) < 2:
        problems.append(Problem("postings", "a transfer needs at least two postings", "too_few"))
    totals: dict[str, int] = defaultdict(int)
    for index, posting in enumerate(postings):
        if not isinstance(posting.amount, Money):
            problems.append(Problem(f"postings.{index}", "amount must be Money", "invalid"))
            continue
        if posting.amount.is_zero():
            problems.append(
                Problem(f"postings.{index}", f"{posting.account}: amount is zero", "zero_amount")
            )
        totals[posting.amount.currency.code] += posting.amount.minor
    for currency, total in sorted(totals.items()):
        if total:
            off = Money(total, currency)
            problems.append(
                Problem(
                    "postings",
                    f"postings do not balance in {currency}: debits exceed credits by {off}",
                    "unbalanced",
                )
            )
    return problems


def check_accounts(book: Book, postings: tuple[Posting, ...]) -> list[Problem]:
    """Every leg's account exists, is open, and is in the leg's currency."""
    problems: list[Problem] = []
    for index, posting in enumerate(postings):
        where = f"postings.{index}"
        account = book.accounts.get(posting.account)
        if account is None:
            problems.append(Problem(where, f"account {posting.account} does not exist", "unknown"))
            continue
        if account.status is not Status.OPEN:
            problems.append(
                Problem(where, f"account {account.id} is {account.status.value}", account.status)
            )
        code = posting.amount.currency.code
        if code != account.currency:
            problems.append(
                Problem(
                    where,
                    f"account {account.id} is in {account.currency}, the posting in {code}",
                    "currency_mismatch",
                )
            )
    return problems


def check_limits(book: Book, entries: tuple[Entry, ...]) -> list[Problem]:
    """Would these entries take any account beyond its overdraft limit or flags?

    Only accounts the entries move against are checked: money coming in is
    never refused, even into an account already beyond a (since lowered) limit.
    This runs for every transfer, so the common case (no limit on the account,
    or available balance not reduced) is decided on plain ints.
    """
    deltas: dict[str, list[int]] = {}
    for entry in entries:
        delta = deltas.setdefault(entry.account, [0, 0, 0, 0])
        offset = 0 if entry.bucket is Bucket.POSTED else 2
        delta[offset] += entry.debit
        delta[offset + 1] += entry.credit
    problems: list[Problem] = []
    for account_id in sorted(deltas):
        account = book.accounts.get(account_id)
        if account is None or (account.overdraft_limit is None and not account.flags):
            continue
        before = book.balance(account)
        after = _after(before, deltas[account_id])
        problem = _limit_problem(account, before, after)
        if problem is not None:
            problems.append(problem)
    return problems


def _after(balance: Balance, delta: list[int]) -> Balance:
    return Balance(
        balance.account,
        balance.currency,
        balance.side,
        balance.debits_posted + delta[0],
        balance.credits_posted + delta[1],
        balance.debits_pending + delta[2],
        balance.credits_pending + delta[3],
    )


def _limit_problem(account: Account, before: Balance, after: Balance) -> Problem | None:
    if after.available >= before.available:
        return None
    field = f"account:{account.id}"
    limit = account.overdraft_limit
    if limit is not None and after.available < -limit:
        shown = Money(after.available, account.currency)
        return Problem(
            field,
            f"account {account.id}: available balance would be {shown}, "
            f"beyond its overdraft limit of {Money(limit, account.currency)}",
            "overdraft",
        )
    debits = after.debits_posted + after.debits_pending
    credits = after.credits_posted + after.credits_pending
    if account.flags & Flags.DEBITS_MUST_NOT_EXCEED_CREDITS and debits > after.credits_posted:
        return Problem(
            field, f"account {account.id}: debits would exceed credits", "debits_exceed_credits"
        )
    if account.flags & Flags.CREDITS_MUST_NOT_EXCEED_DEBITS and credits > after.debits_posted:
        return Problem(
            field, f"account {account.id}: credits would exceed debits", "credits_exceed_debits"
        )
    return None


def check_new_account(book: Book, account: Account) -> list[Problem]:
    """A well-formed id, a known currency, a parent of the same type, a sane limit."""
    from finmon.core.currency import get_currency
    from finmon.core.errors import ValidationError

    problems: list[Problem] = []
    if not ACCOUNT_ID.match(account.id):
        problems.append(
            Problem("id", f"{account.id!r}: letters, digits and :._/- only, at most 128")
        )
    try:
        get_currency(account.currency)
    except ValidationError:
        problems.append(Problem("currency", f"{account.currency!r} is not a known currency"))
    if account.overdraft_limit is not None and account.overdraft_limit < 0:
        problems.append(Problem("overdraft_limit", "must not be negative"))
    if account.parent is not None:
        parent = book.accounts.get(account.parent)
        if parent is None:
            problems.append(Problem("parent", f"parent account {account.parent} does not exist"))
        elif parent.type is not account.type:
            problems.append(
                Problem(
                    "parent", f"parent {parent.id} is a {parent.type} account, not a {account.type}"
                )
            )
    return problems


__all__ = [
    "ACCOUNT_ID",
    "check_accounts",
    "check_limits",
    "check_new_account",
    "check_shape",
    "entries_for",
]
