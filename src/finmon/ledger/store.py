"""Reading a :class:`Book` from the ledger tables and writing its changes back.

One small SQL layer serves both databases: statements are written with ``?``
placeholders and an ``{IN}`` marker, translated for PostgreSQL (``%s``,
``= ANY(%s)``). Everything a batch needs is read in a handful of set-based
queries and written with ``executemany`` (pipelined by psycopg), so a batch of
1,000 transfers costs a few round trips, not thousands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from finmon.ledger.book import Book, HoldState, KeyState, TransferState
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
from finmon.ledger.model import Account, AccountType, Bucket, Entry, Flags, Side, Status

_CHUNK = 500
_COPY_FROM = 16  # fewer rows: a plain INSERT round trip beats setting up a COPY
ACCOUNT_COLUMNS = (
    "a.id, a.type, a.currency, a.parent, a.normal_side, a.status, a.overdraft_limit, a.flags,"
    " a.name, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending"
)


class Sql:
    """A DB-API connection (sqlite3 or psycopg) and the dialect to speak to it."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect

    def q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(self.q(sql), tuple(params)).fetchall())

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            cursor = self.conn.cursor()
            cursor.executemany(self.q(sql), batch)

    def insert(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows: ``COPY`` on PostgreSQL (one round trip), executemany on SQLite."""
        if not rows:
            return
        if self.dialect == "postgres" and len(rows) >= _COPY_FROM:
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(columns.split(",")))
        self.many(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608

    def select_in(self, sql: str, ids: Iterable[str], params: Sequence[Any] = ()) -> list[Any]:
        """Run ``sql`` whose ``{IN}`` stands for "column in ids"; ``params`` go first."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        if self.dialect == "postgres":
            return self.all(sql.replace("{IN}", "= ANY(?)"), [*params, wanted])
        rows: list[Any] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = "IN (" + ",".join("?" * len(chunk)) + ")"
            rows.extend(self.all(sql.replace("{IN}", marks), [*params, *chunk]))
        return rows


@contextmanager
def snapshot(sql: Sql) -> Iterator[None]:
    """Make the reads inside one consistent snapshot (the reader is in autocommit)."""
    if sql.dialect == "postgres":
        with sql.conn.transaction():
            sql.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
        return
    sql.conn.execute("BEGIN")
    try:
        yield
    finally:
        sql.conn.execute("COMMIT")


def journal_head(sql: Sql) -> int:
    """The journal's last sequence number, as this connection sees it."""
    rows = sql.all("SELECT seq FROM log_head WHERE id = 1")
    return int(rows[0][0]) if rows else 0


def account_from_row(row: Sequence[Any]) -> Account:
    return Account(
        id=row[0],
        type=AccountType(row[1]),
        currency=row[2],
        parent=row[3],
        normal_side=Side(row[4]),
        status=Status(row[5]),
        overdraft_limit=row[6],
        flags=Flags(row[7]),
        name=row[8],
    )


def _references(commands: Sequence[Command]) -> tuple[set[str], set[str], set[str]]:
    """(accounts, holds, transfers) the commands name directly."""
    accounts: set[str] = set()
    holds: set[str] = set()
    transfers: set[str] = set()
    for command in commands:
        if isinstance(command, Transfer):
            accounts.update(p.account for p in command.postings)
        elif isinstance(command, PostHold | VoidHold | ExpireHold):
            holds.add(command.hold)
        elif isinstance(command, Reverse):
            transfers.add(command.transfer)
        elif isinstance(command, OpenAccount):
            accounts.add(command.account.id)
            if command.account.parent:
                accounts.add(command.account.parent)
        elif isinstance(command, ChangeStatus):
            accounts.add(command.account)
    return accounts, holds, transfers


def load_book(sql: Sql, commands: Sequence[Command]) -> Book:
    """Everything ``commands`` can touch, as it is in the database now."""
    accounts, holds, transfers = _references(commands)
    book = Book()
    keys = sql.select_in(
        "SELECT key, body_hash, id, seq, kind FROM ledger_keys WHERE key {IN}",
        [c.key for c in commands],
    )
    book.keys = {row[0]: KeyState(row[1], row[2], row[3], row[4]) for row in keys}
    entries = _entries_of(sql, holds | transfers)
    for row in sql.select_in(
        "SELECT id, status, expires_at_us FROM ledger_holds WHERE id {IN}", holds
    ):
        pending = tuple(e for e in entries.get(row[0], ()) if e.bucket is Bucket.PENDING)
        book.holds[row[0]] = HoldState(row[0], row[1], row[2], pending)
    for row in sql.select_in(
        "SELECT id, kind, reversed_by FROM ledger_transfers WHERE id {IN}", transfers
    ):
        posted = tuple(e for e in entries.get(row[0], ()) if e.bucket is Bucket.POSTED)
        book.transfers[row[0]] = TransferState(row[0], row[1], posted, row[2])
    accounts.update(e.account for group in entries.values() for e in group)
    for row in sql.select_in(
        f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_balances b"  # noqa: S608
        " ON b.account = a.id WHERE a.id {IN}",
        accounts,
    ):
        book.accounts[row[0]] = account_from_row(row)
        book.balances[row[0]] = [row[9], row[10], row[11], row[12]]
    return book


def _entries_of(sql: Sql, transfer_ids: set[str]) -> dict[str, list[Entry]]:
    found: dict[str, list[Entry]] = {}
    rows = sql.select_in(
        "SELECT transfer_id, account, currency, debit, credit, bucket FROM ledger_entries"
        " WHERE transfer_id {IN} ORDER BY seq, n",
        transfer_ids,
    )
    for row in rows:
        found.setdefault(row[0], []).append(Entry(row[1], row[2], row[3], row[4], Bucket(row[5])))
    return found


def flush_book(
    sql: Sql, book: Book, seq_by_key: dict[str, int], seq_by_account: dict[str, int], at_us: int
) -> None:
    """Write every change the book recorded; the caller's transaction commits them.

    ``seq_by_key`` gives each accepted operation its journal sequence number.
    """
    for transfer in book.new_transfers:
        transfer.seq, transfer.at_us = seq_by_key[transfer.key], at_us
    for key, state in book.new_keys:
        state.seq = seq_by_key[key]
    sql.insert(
        "ledger_accounts",
        "id, type, currency, parent, normal_side, status, overdraft_limit, flags, name, opened_seq",
        [
            (
                a.id,
                a.type.value,
                a.currency,
                a.parent,
                a.side.value,
                a.status.value,
                a.overdraft_limit,
                int(a.flags),
                a.name,
                seq_by_account.get(a.id, 0),
            )
            for a in book.new_accounts
        ],
    )
    sql.insert(
        "ledger_balances",
        "account, debits_posted, credits_posted, debits_pending, credits_pending, last_seq",
        [(a.id, 0, 0, 0, 0, seq_by_account.get(a.id, 0)) for a in book.new_accounts],
    )
    sql.many(
        "UPDATE ledger_accounts SET status = ? WHERE id = ?",
        [(a.status.value, a.id) for a in book.status_changes.values()],
    )
    _flush_transfers(sql, book)
    _update_balances(
        sql,
        [
            (account, *book.balances[account], seq_by_account.get(account, 0))
            for account in sorted(book.dirty_balances)
        ],
    )
    sql.insert(
        "ledger_keys",
        "key, body_hash, id, seq, kind",
        [(key, s.body_hash, s.transfer_id, s.seq, s.kind) for key, s in book.new_keys],
    )


def _update_balances(sql: Sql, rows: list[tuple[Any, ...]]) -> None:
    """Set the new sums; one ``UPDATE ... FROM unnest`` statement on PostgreSQL."""
    if sql.dialect == "postgres" and rows:
        columns = list(zip(*rows, strict=True))
        sql.conn.execute(
            "UPDATE ledger_balances b SET debits_posted = u.dp, credits_posted = u.cp,"
            " debits_pending = u.dq, credits_pending = u.cq, last_seq = u.seq"
            " FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
            " %s::bigint[]) AS u(account, dp, cp, dq, cq, seq) WHERE b.account = u.account",
            [list(column) for column in columns],
        )
        return
    sql.many(
        "UPDATE ledger_balances SET debits_posted = ?, credits_posted = ?, debits_pending = ?,"
        " credits_pending = ?, last_seq = ? WHERE account = ?",
        [(*row[1:], row[0]) for row in rows],
    )


def _flush_transfers(sql: Sql, book: Book) -> None:
    sql.insert(
        "ledger_transfers",
        "id, key, kind, seq, link, at_us, reference",
        [(t.id, t.key, t.kind, t.seq, t.link, t.at_us, t.reference) for t in book.new_transfers],
    )
    sql.insert(
        "ledger_entries",
        "seq, n, transfer_id, account, currency, debit, credit, bucket, at_us",
        [
            (t.seq, n, t.id, e.account, e.currency, e.debit, e.credit, e.bucket.value, t.at_us)
            for t in book.new_transfers
            for n, e in enumerate(t.entries)
        ],
    )
    sql.insert(
        "ledger_holds",
        "id, status, expires_at_us",
        [(t.id, "pending", t.hold.expires_at_us) for t in book.new_transfers if t.hold],
    )
    sql.many(
        "UPDATE ledger_holds SET status = ? WHERE id = ?",
        [(status, hold) for hold, status in book.resolved_holds.items()],
    )
    sql.many(
        "UPDATE ledger_transfers SET reversed_by = ? WHERE id = ?",
        [(by, original) for original, by in book.reversed.items()],
    )


__all__ = ["ACCOUNT_COLUMNS", "Sql", "account_from_row", "flush_book", "load_book"]
