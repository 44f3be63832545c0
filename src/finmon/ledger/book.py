"""The working set one write transaction plans against.

A :class:`Book` holds just the rows a batch of operations touches (accounts,
balances, holds, reversible transfers, idempotency keys), loaded once in bulk,
then changed in memory as each operation is planned, so the tenth transfer of
a batch sees the effect of the first nine. What changed is written back in one
go (:mod:`finmon.ledger.store`). Planning never touches the database itself,
which is what lets the same code predict an outcome outside the lock and
confirm it inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finmon.ledger.model import Account, Balance, Bucket, Entry


@dataclass(slots=True)
class HoldState:
    """A hold: its pending entries, deadline (µs since the epoch) and status."""

    id: str
    status: str
    expires_at_us: int
    entries: tuple[Entry, ...]


@dataclass(slots=True)
class TransferState:
    """What a reversal needs of a posted transfer."""

    id: str
    kind: str
    entries: tuple[Entry, ...]
    reversed_by: str | None = None


@dataclass(slots=True)
class KeyState:
    """The first accepted use of an idempotency key."""

    body_hash: str
    transfer_id: str
    seq: int
    kind: str


@dataclass(slots=True)
class NewTransfer:
    """A transfer row to insert once the batch commits.

    ``link`` is the transfer this one reverses, or the hold it resolves.
    """

    id: str
    key: str
    body_hash: str
    kind: str
    link: str | None
    entries: tuple[Entry, ...]
    hold: HoldState | None = None
    reference: str = ""
    seq: int = 0
    at_us: int = 0


@dataclass(slots=True)
class Book:
    """Accounts, balances, holds, transfers and keys in play, and what changed."""

    accounts: dict[str, Account | None] = field(default_factory=dict)
    balances: dict[str, list[int]] = field(default_factory=dict)
    holds: dict[str, HoldState | None] = field(default_factory=dict)
    transfers: dict[str, TransferState | None] = field(default_factory=dict)
    keys: dict[str, KeyState | None] = field(default_factory=dict)
    # -- changes, in the order they happened --
    new_accounts: list[Account] = field(default_factory=list)
    status_changes: dict[str, Account] = field(default_factory=dict)
    dirty_balances: set[str] = field(default_factory=set)
    new_transfers: list[NewTransfer] = field(default_factory=list)
    new_keys: list[tuple[str, KeyState]] = field(default_factory=list)
    resolved_holds: dict[str, str] = field(default_factory=dict)
    reversed: dict[str, str] = field(default_factory=dict)

    def balance(self, account: Account) -> Balance:
        sums = self.balances.get(account.id, [0, 0, 0, 0])
        return Balance(account.id, account.currency, account.side, *sums)

    def apply(self, entries: tuple[Entry, ...]) -> None:
        """Add entries to the in-memory sums (the caller has validated them)."""
        for entry in entries:
            sums = self.balances.setdefault(entry.account, [0, 0, 0, 0])
            offset = 0 if entry.bucket is Bucket.POSTED else 2
            sums[offset] += entry.debit
            sums[offset + 1] += entry.credit
            self.dirty_balances.add(entry.account)

    def add_account(self, account: Account) -> None:
        self.accounts[account.id] = account
        self.balances.setdefault(account.id, [0, 0, 0, 0])
        self.new_accounts.append(account)

    def set_account(self, account: Account) -> None:
        self.accounts[account.id] = account
        self.status_changes[account.id] = account

    def record(self, key: str, state: KeyState, transfer: NewTransfer | None) -> None:
        self.keys[key] = state
        self.new_keys.append((key, state))
        if transfer is None:
            return
        self.new_transfers.append(transfer)
        self.transfers[transfer.id] = TransferState(
            transfer.id, transfer.kind, tuple(e for e in transfer.entries if _posted(e))
        )
        if transfer.hold is not None:
            self.holds[transfer.id] = transfer.hold


def _posted(entry: Entry) -> bool:
    return entry.bucket is Bucket.POSTED


__all__ = ["Book", "HoldState", "KeyState", "NewTransfer", "TransferState"]
