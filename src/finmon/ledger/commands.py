"""The operations a client asks of the ledger, as immutable values.

Every operation carries an idempotency key and has a canonical body: the
body's hash is what tells a retry (same key, same body: the first result again)
from a conflict (same key, another body). Bodies are plain JSON data, so the
journal stores exactly what was asked, and a command read back from the
journal is equal to the one submitted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from finmon.core.errors import Problem, ValidationError
from finmon.core.money import Money
from finmon.ledger.model import Account, AccountType, Flags, Posting, Side, Status

TRIGGERS = ("freeze", "unfreeze", "close")
TRANSFER_KINDS = ("transfer", "adjustment")


@dataclass(frozen=True, slots=True)
class OpenAccount:
    """Add an account to the chart (always opens in status ``open``)."""

    key: str
    account: Account
    kind = "open_account"

    def body(self) -> dict[str, Any]:
        a = self.account
        return {
            "id": a.id,
            "type": a.type.value,
            "currency": a.currency,
            "parent": a.parent,
            "normal_side": a.side.value,
            "overdraft_limit": a.overdraft_limit,
            "flags": int(a.flags),
            "name": a.name,
        }


@dataclass(frozen=True, slots=True)
class ChangeStatus:
    """Freeze, unfreeze or close an account."""

    key: str
    account: str
    trigger: str
    kind = "account_status"

    def body(self) -> dict[str, Any]:
        return {"account": self.account, "trigger": self.trigger}


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move money: postings that balance per currency.

    Attributes:
        key: idempotency key.
        postings: the legs; positive amounts debit, negative credit.
        memo: free text kept in the journal.
        reference: the external reference (payment id, statement line) used
            by reconciliation.
        adjustment: a correction booked by an operator; it needs a memo saying why.
        hold_seconds: when set, the transfer is a hold: its postings are
            pending (they reserve funds) until posted, voided or expired this
            many seconds (on the ledger's clock) after it was made.
    """

    key: str
    postings: tuple[Posting, ...]
    memo: str = ""
    reference: str = ""
    adjustment: bool = False
    hold_seconds: int | None = None

    @property
    def kind(self) -> str:
        if self.hold_seconds is not None:
            return "hold"
        return "adjustment" if self.adjustment else "transfer"

    def body(self) -> dict[str, Any]:
        return {
            "postings": [
                [p.account, p.amount.minor, p.amount.currency.code] for p in self.postings
            ],
            "memo": self.memo,
            "reference": self.reference,
            "hold_seconds": self.hold_seconds,
        }


@dataclass(frozen=True, slots=True)
class PostHold:
    """Post a hold in full (``amount`` None) or in part; the rest is released."""

    key: str
    hold: str
    amount: Money | None = None
    kind = "post_hold"

    def body(self) -> dict[str, Any]:
        amount = None if self.amount is None else [self.amount.minor, self.amount.currency.code]
        return {"hold": self.hold, "amount": amount}


@dataclass(frozen=True, slots=True)
class VoidHold:
    """Release a hold's reservation; nothing is posted."""

    key: str
    hold: str
    kind = "void_hold"

    def body(self) -> dict[str, Any]:
        return {"hold": self.hold}


@dataclass(frozen=True, slots=True)
class ExpireHold:
    """Release a hold whose time is up (the key is ``expire:<hold id>``)."""

    key: str
    hold: str
    kind = "expire_hold"

    def body(self) -> dict[str, Any]:
        return {"hold": self.hold}


@dataclass(frozen=True, slots=True)
class Reverse:
    """Undo a posted transfer by a new, linked transfer with every posting negated."""

    key: str
    transfer: str
    memo: str = ""
    kind = "reversal"

    def body(self) -> dict[str, Any]:
        return {"transfer": self.transfer, "memo": self.memo}


Command = OpenAccount | ChangeStatus | Transfer | PostHold | VoidHold | ExpireHold | Reverse


def body_hash(command: Command) -> str:
    """What makes two submissions "the same": kind and canonical body, hashed."""
    document = {"kind": command.kind, "body": command.body()}
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


# -- reading commands from plain data (JSON/TOML files, the CLI, the journal) --


def _money(value: Any, where: str) -> Money:
    if isinstance(value, str):
        return Money.parse(value)
    if isinstance(value, Mapping):
        return Money.from_dict(value)
    raise ValidationError(f"{where}: an amount is '12.34 USD' or {{amount, currency}}", field=where)


def _posting(raw: Any, index: int) -> Posting:
    where = f"postings.{index}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("account"), str):
        raise ValidationError(f"{where}: needs an account and an amount", field=where)
    try:
        amount = _money(raw.get("amount"), f"{where}.amount")
    except ValidationError as exc:
        raise ValidationError(
            f"{where} ({raw['account']}): {exc.message}", field=f"{where}.amount", code=exc.code
        ) from None
    return Posting(raw["account"], amount)


def transfer_from_dict(data: Mapping[str, Any]) -> Transfer:
    """A transfer from ``{"key", "postings": [{"account", "amount"}], "memo", ...}``.

    Raises ValidationError naming every bad posting (wrong precision, a float,
    a missing account) at once.
    """
    key = data.get("key")
    raw_postings = data.get("postings")
    problems: list[Problem] = []
    if not isinstance(key, str) or not key:
        problems.append(Problem("key", "an idempotency key is required", "missing"))
    if not isinstance(raw_postings, list):
        problems.append(Problem("postings", "a list of postings is required", "missing"))
        raw_postings = []
    postings: list[Posting] = []
    for index, raw in enumerate(raw_postings):
        try:
            postings.append(_posting(raw, index))
        except ValidationError as exc:
            problems.append(Problem(exc.field or f"postings.{index}", exc.message, exc.code))
    hold = data.get("hold_seconds")
    if hold is not None and (not isinstance(hold, int) or isinstance(hold, bool) or hold <= 0):
        problems.append(Problem("hold_seconds", "must be a positive whole number of seconds"))
    if problems:
        raise ValidationError.from_problems("invalid transfer", problems)
    return Transfer(
        key=str(key),
        postings=tuple(postings),
        memo=str(data.get("memo", "")),
        reference=str(data.get("reference", "")),
        adjustment=bool(data.get("adjustment", False)),
        hold_seconds=hold,
    )


def command_from_body(kind: str, key: str, body: Mapping[str, Any]) -> Command:
    """Rebuild a command from its journal form (the inverse of ``body()``)."""
    if kind in ("transfer", "adjustment", "hold"):
        postings = tuple(Posting(a, Money(int(m), c)) for a, m, c in body["postings"])
        return Transfer(
            key,
            postings,
            body["memo"],
            body["reference"],
            kind == "adjustment",
            body["hold_seconds"],
        )
    if kind == "post_hold":
        amount = body["amount"]
        return PostHold(key, body["hold"], None if amount is None else Money(amount[0], amount[1]))
    simple: dict[str, Any] = {
        "void_hold": lambda: VoidHold(key, body["hold"]),
        "expire_hold": lambda: ExpireHold(key, body["hold"]),
        "reversal": lambda: Reverse(key, body["transfer"], body["memo"]),
        "account_status": lambda: ChangeStatus(key, body["account"], body["trigger"]),
        "open_account": lambda: OpenAccount(key, account_from_body(body)),
    }
    if kind not in simple:
        raise ValidationError(f"unknown ledger operation {kind!r}", field="kind")
    command: Command = simple[kind]()
    return command


def account_from_body(body: Mapping[str, Any]) -> Account:
    """An account from ``OpenAccount.body()`` or the CLI's fields."""
    try:
        return Account(
            id=str(body["id"]),
            type=AccountType(body["type"]),
            currency=str(body["currency"]).upper(),
            parent=body.get("parent"),
            normal_side=Side(body["normal_side"]) if body.get("normal_side") else None,
            status=Status.OPEN,
            overdraft_limit=body.get("overdraft_limit"),
            flags=Flags(int(body.get("flags", 0))),
            name=str(body.get("name", "")),
        )
    except (KeyError, ValueError) as exc:
        raise ValidationError(f"invalid account definition: {exc}", field="account") from None


__all__ = [
    "TRIGGERS",
    "ChangeStatus",
    "Command",
    "ExpireHold",
    "OpenAccount",
    "PostHold",
    "Reverse",
    "Transfer",
    "VoidHold",
    "account_from_body",
    "body_hash",
    "command_from_body",
    "transfer_from_dict",
]
