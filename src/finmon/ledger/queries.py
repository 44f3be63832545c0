"""Reading the ledger: accounts, balances now and as of a past point, statements.

"Now" reads the running sums in ``ledger_balances``. "As of" sums the
append-only ``ledger_entries`` up to a journal sequence number (exact) or a
record time (every operation recorded at or before it). Both are cheap and
agree by construction; :mod:`finmon.ledger.verify` checks that they do.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from finmon.core.errors import NotFoundError, ValidationError
from finmon.core.money import Money
from finmon.ledger.model import Account, Balance, Side
from finmon.ledger.store import ACCOUNT_COLUMNS, Sql, account_from_row

_US = 1_000_000


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch, exactly (no float)."""
    if instant.tzinfo is None:
        raise ValidationError("a naive datetime has no time zone; give UTC", field="at")
    delta = instant.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value // _US, tz=UTC).replace(microsecond=value % _US)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One entry on a statement, with the posted balance after it."""

    seq: int
    transfer_id: str
    kind: str
    debit: int
    credit: int
    bucket: str
    at: datetime
    balance: int


@dataclass(frozen=True, slots=True)
class Statement:
    """An account's entries in a range, between its opening and closing balances."""

    account: Account
    opening: Balance
    closing: Balance
    lines: list[StatementLine] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        money = self.opening.money
        return {
            "account": self.account.id,
            "currency": self.account.currency,
            "opening": self.opening.to_dict(),
            "closing": self.closing.to_dict(),
            "lines": [
                {
                    "seq": line.seq,
                    "transfer_id": line.transfer_id,
                    "kind": line.kind,
                    "debit": money(line.debit).to_decimal_string(),
                    "credit": money(line.credit).to_decimal_string(),
                    "bucket": line.bucket,
                    "at": line.at.isoformat(),
                    "balance": money(line.balance).to_decimal_string(),
                }
                for line in self.lines
            ],
        }


class LedgerQueries:
    """Read methods of :class:`~finmon.ledger.ledger.Ledger` (over its reader connection)."""

    reader: Sql
    _read_lock: threading.Lock

    def read_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a read query (``?`` placeholders) on the reader connection."""
        with self._read_lock:
            return self.reader.all(sql, params)

    def accounts(self) -> list[Account]:
        """The whole chart, ordered by id."""
        rows = self.read_rows(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_balances b"  # noqa: S608
            " ON b.account = a.id ORDER BY a.id"
        )
        return [account_from_row(row) for row in rows]

    def account(self, account_id: str) -> Account:
        rows = self.read_rows(
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_balances b"  # noqa: S608
            " ON b.account = a.id WHERE a.id = ?",
            (account_id,),
        )
        if not rows:
            raise NotFoundError(f"account {account_id} does not exist", field="account")
        return account_from_row(rows[0])

    def balance(
        self, account_id: str, *, as_of_seq: int | None = None, at: datetime | None = None
    ) -> Balance:
        """Posted, pending and available balance now, or as of a sequence number or time."""
        account = self.account(account_id)
        if as_of_seq is None and at is None:
            rows = self.read_rows(
                "SELECT debits_posted, credits_posted, debits_pending, credits_pending"
                " FROM ledger_balances WHERE account = ?",
                (account_id,),
            )
            return Balance(account.id, account.currency, account.side, *rows[0])
        if as_of_seq is not None:
            where, limit = "seq <= ?", as_of_seq
        else:
            assert at is not None  # noqa: S101 - one of the two is set
            where, limit = "at_us <= ?", to_us(at)
        rows = self.read_rows(
            "SELECT bucket, coalesce(sum(debit), 0), coalesce(sum(credit), 0) FROM ledger_entries"  # noqa: S608
            " WHERE account = ? AND " + where + " GROUP BY bucket",
            (account_id, limit),
        )
        sums = {row[0]: (int(row[1]), int(row[2])) for row in rows}
        posted = sums.get("posted", (0, 0))
        pending = sums.get("pending", (0, 0))
        return Balance(account.id, account.currency, account.side, *posted, *pending)

    def available(self, account_id: str) -> Money:
        found = self.balance(account_id)
        return Money(found.available, found.currency)

    def statement(
        self, account_id: str, *, from_seq: int = 1, to_seq: int | None = None
    ) -> Statement:
        """Entries of ``account_id`` with ``from_seq <= seq <= to_seq``, with running balance."""
        account = self.account(account_id)
        opening = self.balance(account_id, as_of_seq=from_seq - 1)
        rows = self.read_rows(
            "SELECT e.seq, e.transfer_id, coalesce(t.kind, ''), e.debit, e.credit, e.bucket,"
            " e.at_us FROM ledger_entries e LEFT JOIN ledger_transfers t ON t.id = e.transfer_id"
            " WHERE e.account = ? AND e.seq >= ? AND e.seq <= ? ORDER BY e.seq, e.n",
            (account_id, from_seq, to_seq if to_seq is not None else 2**62),
        )
        sign = 1 if account.side is Side.DEBIT else -1
        running = opening.posted
        lines = []
        for seq, transfer, kind, debit, credit, bucket, at_us in rows:
            if bucket == "posted":
                running += sign * (debit - credit)
            lines.append(
                StatementLine(seq, transfer, kind, debit, credit, bucket, from_us(at_us), running)
            )
        closing = (
            self.balance(account_id, as_of_seq=to_seq)
            if to_seq
            else self.balance(account_id, as_of_seq=2**62)
        )
        return Statement(account, opening, closing, lines)

    def all_balances(self, as_of_seq: int | None = None) -> list[tuple[Account, Balance]]:
        """Every account with its balance (as of ``as_of_seq`` when given), ordered by id."""
        accounts = self.accounts()
        if as_of_seq is None:
            rows = self.read_rows(
                "SELECT account, debits_posted, credits_posted, debits_pending, credits_pending"
                " FROM ledger_balances"
            )
        else:
            rows = self.read_rows(
                "SELECT account,"
                " coalesce(sum(CASE WHEN bucket = 'posted' THEN debit END), 0),"
                " coalesce(sum(CASE WHEN bucket = 'posted' THEN credit END), 0),"
                " coalesce(sum(CASE WHEN bucket = 'pending' THEN debit END), 0),"
                " coalesce(sum(CASE WHEN bucket = 'pending' THEN credit END), 0)"
                " FROM ledger_entries WHERE seq <= ? GROUP BY account",
                (as_of_seq,),
            )
        sums = {row[0]: [int(v) for v in row[1:]] for row in rows}
        return [
            (a, Balance(a.id, a.currency, a.side, *sums.get(a.id, [0, 0, 0, 0]))) for a in accounts
        ]

    def due_holds(self, now: datetime) -> list[str]:
        """Pending holds whose deadline has passed, oldest first."""
        rows = self.read_rows(
            "SELECT id FROM ledger_holds WHERE status = 'pending' AND expires_at_us <= ?"
            " ORDER BY expires_at_us, id",
            (to_us(now),),
        )
        return [row[0] for row in rows]

    def transfer_seq(self, transfer_id: str) -> int:
        """The journal sequence number of a transfer (for its inclusion proof)."""
        rows = self.read_rows("SELECT seq FROM ledger_transfers WHERE id = ?", (transfer_id,))
        if not rows:
            raise NotFoundError(f"transfer {transfer_id} does not exist", field="transfer")
        return int(rows[0][0])


__all__ = ["LedgerQueries", "Statement", "StatementLine", "from_us", "to_us"]
