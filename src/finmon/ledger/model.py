"""The ledger's nouns: accounts, postings, entries, and what an operation returns.

Everything here is immutable (frozen dataclasses): a posting, once accepted, is
a fact; the ledger never edits or deletes one, it adds a reversal. Amounts are
:class:`~finmon.core.Money` (integer minor units) at the edges and plain ints
of minor units inside, next to the account whose currency gives them meaning.

Sign convention (beancount's): a posting's amount is positive for a debit and
negative for a credit, so the postings of a transfer sum to zero per currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntFlag, StrEnum

from finmon.core.errors import Problem
from finmon.core.money import Money


class AccountType(StrEnum):
    """The five top-level groups of a chart of accounts."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def normal_side(self) -> Side:
        """Debit for assets and expenses, credit for the rest: where a balance usually sits."""
        if self in (AccountType.ASSET, AccountType.EXPENSE):
            return Side.DEBIT
        return Side.CREDIT


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class Status(StrEnum):
    """Account lifecycle; the allowed moves are in :mod:`finmon.ledger.lifecycle`."""

    OPEN = "open"
    FROZEN = "frozen"
    CLOSED = "closed"


class Flags(IntFlag):
    """Balance constraints an account can carry (TigerBeetle's two flags).

    ``DEBITS_MUST_NOT_EXCEED_CREDITS`` suits a customer deposit (a liability):
    the customer cannot spend more than was paid in. The check counts pending
    debits, so a hold reserves funds.
    """

    NONE = 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 2


@dataclass(frozen=True, slots=True)
class Account:
    """One account of the chart.

    Attributes:
        id: the account's code, chosen by the bank (``assets:cash:usd``, ``2000-17``).
        type: which of the five groups it belongs to.
        currency: ISO 4217 code; every posting to the account is in it.
        parent: the account it rolls up into (same type), or ``None`` at the top.
        normal_side: where its balance normally sits; defaults from ``type``
            (a contra account overrides it).
        status: open, frozen or closed.
        overdraft_limit: minor units the available balance may go below zero on
            the normal side; ``None`` means no limit is checked (the bank's own
            clearing and suspense accounts), ``0`` means no overdraft.
        flags: extra balance constraints (:class:`Flags`).
        name: a human label.
    """

    id: str
    type: AccountType
    currency: str
    parent: str | None = None
    normal_side: Side | None = None
    status: Status = Status.OPEN
    overdraft_limit: int | None = None
    flags: Flags = Flags.NONE
    name: str = ""

    @property
    def side(self) -> Side:
        return self.normal_side or self.type.normal_side


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of a transfer: ``amount`` positive debits the account, negative credits it."""

    account: str
    amount: Money

    @classmethod
    def debit(cls, account: str, amount: Money) -> Posting:
        return cls(account, amount)

    @classmethod
    def credit(cls, account: str, amount: Money) -> Posting:
        return cls(account, -amount)


class Bucket(StrEnum):
    """Posted money is final; pending money is reserved by a hold until it resolves."""

    POSTED = "posted"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Entry:
    """One change to one account's balance, as stored: the unit of audit.

    ``debit`` and ``credit`` are minor units; a hold's release is written as a
    negative pending amount, so every bucket is still a plain sum of entries.
    """

    account: str
    currency: str
    debit: int
    credit: int
    bucket: Bucket

    def as_list(self) -> list[object]:
        return [self.account, self.currency, self.debit, self.credit, self.bucket.value]

    @classmethod
    def from_list(cls, row: list[object]) -> Entry:
        account, currency, debit, credit, bucket = row
        return cls(
            str(account), str(currency), int(str(debit)), int(str(credit)), Bucket(str(bucket))
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's sums in minor units, and the balances derived from them.

    ``posted`` and ``available`` are on the account's normal side (a positive
    deposit balance is money the bank owes the customer). ``available``
    deducts pending outflows and ignores pending inflows: reserved money is
    not spendable, promised money not yet.
    """

    account: str
    currency: str
    side: Side
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    @property
    def posted(self) -> int:
        net = self.debits_posted - self.credits_posted
        return net if self.side is Side.DEBIT else -net

    @property
    def pending(self) -> int:
        net = self.debits_pending - self.credits_pending
        return net if self.side is Side.DEBIT else -net

    @property
    def available(self) -> int:
        outflow = self.credits_pending if self.side is Side.DEBIT else self.debits_pending
        return self.posted - outflow

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    def to_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "currency": self.currency,
            "normal_side": self.side.value,
            "posted": self.money(self.posted).to_decimal_string(),
            "pending": self.money(self.pending).to_decimal_string(),
            "available": self.money(self.available).to_decimal_string(),
            "debits_posted": self.money(self.debits_posted).to_decimal_string(),
            "credits_posted": self.money(self.credits_posted).to_decimal_string(),
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """An accepted operation.

    Attributes:
        key: the idempotency key it was submitted with.
        transfer_id: the id of the transfer (or account) it created.
        seq: its journal sequence number.
        kind: ``transfer``, ``hold``, ``post_hold``, ``void_hold``, ``expire_hold``,
            ``reversal``, ``adjustment``, ``open_account`` or ``account_status``.
        replayed: ``True`` when the key had been seen with the same body and
            this is the first result again, with no new effect.
    """

    key: str
    transfer_id: str
    seq: int
    kind: str
    replayed: bool = False

    @property
    def accepted(self) -> bool:
        return True

    def to_dict(self) -> dict[str, object]:
        return {
            "accepted": True,
            "key": self.key,
            "transfer_id": self.transfer_id,
            "seq": self.seq,
            "kind": self.kind,
            "replayed": self.replayed,
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused operation: nothing changed but the audit record at ``seq``."""

    key: str
    kind: str
    problems: tuple[Problem, ...]
    seq: int = 0
    code: str = "rejected"

    @property
    def accepted(self) -> bool:
        return False

    def to_dict(self) -> dict[str, object]:
        return {
            "accepted": False,
            "key": self.key,
            "kind": self.kind,
            "code": self.code,
            "seq": self.seq,
            "problems": [
                {"field": p.field, "reason": p.reason, "code": p.code} for p in self.problems
            ],
        }


Outcome = Receipt | Rejection


@dataclass(slots=True)
class BatchResult:
    """Per-operation outcomes of :meth:`Ledger.submit_batch`, in input order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accepted(self) -> list[Receipt]:
        return [o for o in self.outcomes if isinstance(o, Receipt)]

    @property
    def rejected(self) -> list[Rejection]:
        return [o for o in self.outcomes if isinstance(o, Rejection)]


__all__ = [
    "Account",
    "AccountType",
    "Balance",
    "BatchResult",
    "Bucket",
    "Entry",
    "Flags",
    "Outcome",
    "Posting",
    "Receipt",
    "Rejection",
    "Side",
    "Status",
]
