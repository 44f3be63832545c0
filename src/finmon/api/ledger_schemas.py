"""Request and response bodies of the ledger routes (``/v1/ledger``).

Money is ``{"amount": "12.34", "currency": "USD"}`` with the amount a decimal
*string*: a JSON number (a float) is refused with 422 naming the field, and an
amount with more decimals than its currency allows is refused (never rounded)
by :meth:`finmon.core.Money.of` when the request is turned into a command.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from finmon.api.schemas import Id

_AMOUNT = r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(_In):
    """An exact amount: a decimal string (never a JSON number) and an ISO 4217 code."""

    amount: str = Field(pattern=_AMOUNT, max_length=42, examples=["12.34"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["USD"])


class PostingIn(_In):
    """One leg: a positive amount debits the account, a negative one credits it."""

    account: str = Id
    amount: MoneyIn


class TransferIn(_In):
    """Postings that sum to zero per currency; the key is the Idempotency-Key header."""

    postings: list[PostingIn] = Field(min_length=1, max_length=100)
    memo: str = Field(default="", max_length=1000)
    reference: str = Field(default="", max_length=256)


class HoldIn(TransferIn):
    """A two-phase transfer: the postings are reserved (pending) for ``hold_seconds``."""

    hold_seconds: int = Field(gt=0, le=366 * 86_400)


class BatchTransferIn(TransferIn):
    """One transfer of a batch; it carries its own idempotency key."""

    key: str = Field(min_length=1, max_length=200)


class TransferBatchIn(_In):
    transfers: list[BatchTransferIn] = Field(min_length=1, max_length=10_000)


class HoldPostIn(_In):
    """Post the whole hold (no amount) or a part of it (the rest is released)."""

    amount: MoneyIn | None = None


class ReverseIn(_In):
    memo: str = Field(default="", max_length=1000)


class AccountCreate(_In):
    """A new account of the chart; it opens in status ``open``."""

    id: str = Id
    type: Literal["asset", "liability", "equity", "income", "expense"]
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    parent: str | None = Field(default=None, min_length=1, max_length=128)
    normal_side: Literal["debit", "credit"] | None = None
    overdraft_limit: MoneyIn | None = Field(
        default=None, description="How far below zero it may go; omit for unchecked."
    )
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    name: str = Field(default="", max_length=256)


class ReconciliationIn(_In):
    """A statement from the other side, as text, to match against one of our accounts."""

    account: str = Id
    format: Literal["csv", "camt053"] = "csv"
    statement: str = Field(min_length=1, max_length=900_000)
    amount_tolerance: MoneyIn | None = None
    date_tolerance_days: int = Field(default=2, ge=0, le=366)


class ReceiptOut(BaseModel):
    """An accepted operation: ``replayed`` is true when the key had been used with this body."""

    accepted: Literal[True] = True
    key: str
    transfer_id: str
    seq: int
    kind: str
    replayed: bool


class AccountOut(BaseModel):
    id: str
    type: str
    currency: str
    parent: str | None
    normal_side: str
    status: str
    overdraft_limit: str | None
    flags: list[str]
    name: str


class BalanceOut(BaseModel):
    account: str
    currency: str
    normal_side: str
    posted: str
    pending: str
    available: str
    debits_posted: str
    credits_posted: str


class AccountDetail(AccountOut):
    balance: BalanceOut


class AccountChanged(BaseModel):
    receipt: ReceiptOut
    account: AccountOut


class AccountList(BaseModel):
    items: list[AccountOut]


class StatementOut(BaseModel):
    account: str
    currency: str
    opening: BalanceOut
    closing: BalanceOut
    lines: list[dict[str, Any]]


class OutcomeOut(BaseModel):
    """One operation of a batch: a receipt, or the reasons it was rejected."""

    accepted: bool
    key: str
    kind: str
    seq: int
    transfer_id: str | None = None
    replayed: bool | None = None
    code: str | None = None
    problems: list[dict[str, Any]] | None = None


class BatchOut(BaseModel):
    accepted: int
    rejected: int
    outcomes: list[OutcomeOut]


__all__ = [
    "AccountChanged",
    "AccountCreate",
    "AccountDetail",
    "AccountList",
    "AccountOut",
    "BalanceOut",
    "BatchOut",
    "BatchTransferIn",
    "HoldIn",
    "HoldPostIn",
    "MoneyIn",
    "OutcomeOut",
    "PostingIn",
    "ReceiptOut",
    "ReconciliationIn",
    "ReverseIn",
    "TransferBatchIn",
    "TransferIn",
]
