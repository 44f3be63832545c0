"""What the demo builds from the log: balances moved per account, and the internal-transfer check.

A projection is state rebuilt from events; the demo builds this one twice, once
from the bus (two consumers of one group, each owning some partitions) and
once by replaying the log directly, and the two must be equal. The check that
internal transfers net to zero is a bank-level invariant a monitoring engine
can rely on: when both accounts of a transfer are the bank's own, its debit and
its credit appear together, for the same amount, at the same instant.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from finmon.core.money import Money
from finmon.events.envelope import Envelope

TRANSACTION = "transaction.received"
ACCOUNT = "account.upserted"

PairKey = tuple[str, str, str, frozenset[str]]
"""(occurred_at, amount, currency, {account, counterparty}) of one internal transfer."""


@dataclass
class Flows:
    """Net money moved per (account, currency), in minor units, and counts per channel."""

    net: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    channels: Counter[str] = field(default_factory=Counter)
    transactions: int = 0

    def apply(self, envelope: Envelope) -> None:
        if envelope.type != TRANSACTION:
            return
        payload = envelope.payload
        money = Money.of(payload["amount"], payload["currency"])
        sign = 1 if payload["direction"] == "credit" else -1
        self.net[(payload["account_id"], money.currency.code)] += sign * money.minor
        self.channels[payload.get("channel", "unknown")] += 1
        self.transactions += 1

    def same_as(self, other: Flows) -> bool:
        return dict(self.net) == dict(other.net) and self.channels == other.channels


@dataclass
class InternalTransfers:
    """Pairs the two legs of every transfer between two of the bank's own accounts."""

    accounts: set[str] = field(default_factory=set)
    legs: dict[PairKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    last_instant: datetime = datetime.min.replace(tzinfo=UTC)

    def apply(self, envelope: Envelope) -> None:
        payload = envelope.payload
        if envelope.type == ACCOUNT:
            self.accounts.add(payload["account_id"])
        elif envelope.type == TRANSACTION:
            instant = datetime.fromisoformat(payload["occurred_at"])
            self.last_instant = max(self.last_instant, instant)
            counterparty = payload.get("counterparty_account_id")
            if counterparty:
                key = (
                    payload["occurred_at"],
                    payload["amount"],
                    payload["currency"],
                    frozenset((payload["account_id"], counterparty)),
                )
                self.legs[key].append(payload["direction"])

    def summary(self) -> dict[str, Any]:
        """Balanced pairs, unbalanced ones, and legs whose partner the extract cut off."""
        balanced = unbalanced = cut = 0
        for key, directions in self.legs.items():
            if not key[3] <= self.accounts:
                continue  # one side is outside the bank: nothing to pair
            if sorted(directions) == ["credit", "debit"]:
                balanced += 1
            elif len(directions) == 1 and datetime.fromisoformat(key[0]) == self.last_instant:
                cut += 1  # the extract ends between the two legs
            else:
                unbalanced += 1
        return {"balanced_pairs": balanced, "unbalanced": unbalanced, "cut_at_extract_end": cut}


__all__ = ["Flows", "InternalTransfers"]
