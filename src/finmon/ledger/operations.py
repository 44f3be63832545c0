"""The ledger's operations as plain methods: build the command, execute it.

Each method raises on a refusal (after the refusal is journaled) and returns
the :class:`~finmon.ledger.model.Receipt` otherwise; use
:meth:`~finmon.ledger.ledger.Ledger.submit` or ``submit_batch`` to get
refusals as data instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from finmon.core.clock import Clock
from finmon.core.ids import IdGenerator
from finmon.core.money import Money
from finmon.ledger.commands import (
    ChangeStatus,
    Command,
    ExpireHold,
    OpenAccount,
    PostHold,
    Reverse,
    Transfer,
    VoidHold,
)
from finmon.ledger.model import (
    Account,
    AccountType,
    BatchResult,
    Flags,
    Posting,
    Receipt,
    Side,
)


class LedgerOperations:
    """Write methods of :class:`~finmon.ledger.ledger.Ledger`."""

    clock: Clock
    _ids: IdGenerator

    if TYPE_CHECKING:  # provided by Ledger and LedgerQueries

        def execute(self, command: Command) -> Receipt: ...

        def submit_batch(self, commands: Sequence[Command]) -> BatchResult: ...

        def due_holds(self, now: datetime) -> list[str]: ...

    def open_account(  # noqa: PLR0913 - one keyword per account attribute
        self,
        account_id: str,
        type: AccountType | str,  # noqa: A002 - the accounting word
        currency: str,
        *,
        parent: str | None = None,
        normal_side: Side | None = None,
        overdraft_limit: Money | None = None,
        flags: Flags = Flags.NONE,
        name: str = "",
        key: str | None = None,
    ) -> Receipt:
        """Add an account to the chart; ``overdraft_limit`` None means unchecked."""
        limit = None if overdraft_limit is None else overdraft_limit.minor
        account = Account(
            account_id,
            AccountType(type),
            currency.upper(),
            parent,
            normal_side,
            overdraft_limit=limit,
            flags=flags,
            name=name,
        )
        return self.execute(OpenAccount(key or f"open:{account_id}", account))

    def freeze(self, account_id: str, *, key: str | None = None) -> Receipt:
        return self._status(account_id, "freeze", key)

    def unfreeze(self, account_id: str, *, key: str | None = None) -> Receipt:
        return self._status(account_id, "unfreeze", key)

    def close_account(self, account_id: str, *, key: str | None = None) -> Receipt:
        return self._status(account_id, "close", key)

    def _status(self, account_id: str, trigger: str, key: str | None) -> Receipt:
        # Without a key each call is a new request: freezing twice is refused, not replayed.
        key = key or f"{trigger}:{account_id}:{self._ids.new_str()}"
        return self.execute(ChangeStatus(key, account_id, trigger))

    def transfer(
        self,
        key: str,
        postings: Sequence[Posting],
        *,
        memo: str = "",
        reference: str = "",
    ) -> Receipt:
        """Post balanced postings at once."""
        return self.execute(Transfer(key, tuple(postings), memo, reference))

    def move(self, key: str, debit: str, credit: str, amount: Money, *, memo: str = "") -> Receipt:
        """The common two-leg transfer: debit one account, credit another."""
        postings = (Posting.debit(debit, amount), Posting.credit(credit, amount))
        return self.execute(Transfer(key, postings, memo))

    def adjust(self, key: str, postings: Sequence[Posting], *, memo: str) -> Receipt:
        """A correction by an operator; ``memo`` (why) is required and journaled."""
        return self.execute(Transfer(key, tuple(postings), memo, adjustment=True))

    def hold(
        self,
        key: str,
        debit: str,
        credit: str,
        amount: Money,
        *,
        seconds: int,
        memo: str = "",
    ) -> Receipt:
        """Reserve ``amount`` (pending) for ``seconds``; the receipt's id names the hold."""
        postings = (Posting.debit(debit, amount), Posting.credit(credit, amount))
        return self.execute(Transfer(key, postings, memo, hold_seconds=seconds))

    def post_hold(self, key: str, hold_id: str, amount: Money | None = None) -> Receipt:
        return self.execute(PostHold(key, hold_id, amount))

    def void_hold(self, key: str, hold_id: str) -> Receipt:
        return self.execute(VoidHold(key, hold_id))

    def expire_holds(self) -> BatchResult:
        """Release every hold past its deadline on the ledger's clock (idempotent)."""
        due = self.due_holds(self.clock.now())
        return self.submit_batch([ExpireHold(f"expire:{hold}", hold) for hold in due])

    def reverse(self, key: str, transfer_id: str, *, memo: str = "") -> Receipt:
        return self.execute(Reverse(key, transfer_id, memo))


__all__ = ["LedgerOperations"]
