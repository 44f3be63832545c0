"""The ledger: submit operations, get receipts or reasons.

Concurrency design (docs/ledger.md has the long form). Every write goes
through :meth:`finmon.events.Log.append_batch`, whose transaction holds the
journal's single writer lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
``SELECT ... FOR UPDATE`` on the head row). The ``apply`` callback re-reads
the accounts, balances, holds and keys involved *inside* that lock, re-plans
every operation, checks the outcome against what the journal records say, and
writes the projections. So writers are totally ordered by journal sequence
number: the schedule is serial, whatever the number of threads, processes or
machines, and no invariant can be broken by a race.

The journal records are built before the lock is taken (the Log hashes them
first), from a prediction made against a plain read. If another writer changed
the state in between and the confirmation disagrees, the transaction is rolled
back and the operations are planned again; under normal load the prediction is
right the first time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import (
    ConflictError,
    FinmonError,
    NotFoundError,
    UnavailableError,
    ValidationError,
)
from finmon.core.ids import IdGenerator
from finmon.events.envelope import Envelope
from finmon.events.log import Log
from finmon.ledger.book import Book
from finmon.ledger.commands import Command
from finmon.ledger.journal import REJECTED as REJECTED_EVENT
from finmon.ledger.journal import envelope_for
from finmon.ledger.model import BatchResult, Outcome, Receipt, Rejection
from finmon.ledger.operations import LedgerOperations
from finmon.ledger.planning import ACCEPTED, REPLAYED, Plan, plan
from finmon.ledger.queries import LedgerQueries, to_us
from finmon.ledger.schema import MIGRATIONS
from finmon.ledger.store import Sql, flush_book, journal_head, load_book, snapshot
from finmon.store.migrations import apply_migrations


@dataclass(slots=True)
class _Guess:
    """Plans made against the state at journal ``head``; ``book`` holds their effects."""

    plans: list[Plan]
    book: Book | None
    head: int


class _Mispredicted(Exception):  # noqa: N818 - control flow, never escapes
    """The state moved between prediction and lock: roll back and plan again."""

    def __init__(self, actual: _Guess) -> None:
        super().__init__("prediction changed under the lock")
        self.actual = actual


def _positions(
    commands: Sequence[Command], plans: list[Plan], seq_of: dict[int, int]
) -> tuple[dict[str, int], dict[str, int]]:
    """(journal seq by idempotency key, last seq by account) of the accepted operations."""
    by_key: dict[str, int] = {}
    by_account: dict[str, int] = {}
    for index, (command, decided) in enumerate(zip(commands, plans, strict=True)):
        if decided.status == ACCEPTED:
            seq = seq_of[index]
            by_key[command.key] = seq
            by_account[decided.id] = seq
            for entry in decided.entries:
                by_account[entry.account] = seq
    return by_key, by_account


def open_reader(log: Log) -> Sql:
    """A connection to the journal's database for reads (and the ledger's migrations)."""
    store: Any = log.store
    if store.dialect == "sqlite":
        from finmon.store.sqlite import connect_sqlite

        conn: Any = connect_sqlite(store.path)
        apply_migrations(conn, "sqlite", "ledger", MIGRATIONS)
        return Sql(conn, "sqlite")
    from finmon.store.postgres import connect_postgres

    conn = connect_postgres(store.url, autocommit=True)
    conn.execute(f'SET search_path TO "{store.schema}"')
    conn.autocommit = False  # apply_migrations brackets its own transaction
    apply_migrations(conn, "postgres", "ledger", MIGRATIONS)
    conn.autocommit = True  # reads: no transaction left open between them
    return Sql(conn, "postgres")


class Ledger(LedgerOperations, LedgerQueries):
    """A double-entry ledger journaled in ``log``; its tables live in the log's database.

    Args:
        log: the journal. Its store decides the database (SQLite or PostgreSQL).
        clock: decides when holds expire; a SimulatedClock in tests.
        max_attempts: how often a batch is re-planned when concurrent writers
            keep invalidating its prediction before giving up (UnavailableError).
    """

    def __init__(self, log: Log, *, clock: Clock | None = None, max_attempts: int = 20) -> None:
        self.log = log
        self.clock = clock or SystemClock()
        self._ids = IdGenerator(self.clock)
        self._max_attempts = max_attempts
        self.reader = open_reader(log)
        self._read_lock = threading.Lock()

    # -- writing -----------------------------------------------------------

    def submit(self, command: Command) -> Outcome:
        """Apply one operation; never raises for a business refusal (see :meth:`execute`)."""
        return self.submit_batch([command]).outcomes[0]

    def execute(self, command: Command) -> Receipt:
        """Apply one operation; a refusal (recorded in the journal) raises.

        Raises:
            ValidationError: bad input or a broken rule; ``problems`` name the
                account and reason of each.
            ConflictError: an idempotency key reused with another body, an
                account that exists, a move the account's status forbids.
            NotFoundError: the hold, transfer or account named does not exist.
        """
        outcome = self.submit(command)
        if isinstance(outcome, Rejection):
            raise rejection_error(outcome)
        return outcome

    def submit_batch(self, commands: Sequence[Command]) -> BatchResult:
        """Apply many operations in one transaction, each accepted or rejected on its own.

        Accepted operations and the audit records of rejected ones commit
        together; a retried idempotency key returns its first result.
        """
        if not commands:
            return BatchResult()
        now = self.clock.now()
        ids = [self._ids.new_str() for _ in commands]
        with self._read_lock, snapshot(self.reader):
            head = journal_head(self.reader)
            book = load_book(self.reader, commands)
        guess = _Guess(self._plan_all(book, commands, ids, to_us(now)), book, head)
        for _ in range(self._max_attempts):
            try:
                seqs = self._write(commands, guess, ids, now)
            except _Mispredicted as changed:
                guess = changed.actual
                continue
            return _outcomes(commands, guess.plans, seqs)
        raise UnavailableError("the ledger is too contended: a batch kept being re-planned")

    @staticmethod
    def _plan_all(
        book: Book, commands: Sequence[Command], ids: list[str], now_us: int
    ) -> list[Plan]:
        return [plan(c, book, new_id=i, now_us=now_us) for c, i in zip(commands, ids, strict=True)]

    def _write(
        self, commands: Sequence[Command], guess: _Guess, ids: list[str], now: datetime
    ) -> dict[int, int]:
        """Append the journal records and, in the same transaction, confirm and project."""
        envelopes: list[Envelope] = []
        index_of: dict[str, int] = {}
        for index, (command, predicted) in enumerate(zip(commands, guess.plans, strict=True)):
            if predicted.status != REPLAYED:
                envelopes.append(envelope_for(command, predicted, ids[index], now))
                index_of[ids[index]] = index
        seqs: dict[int, int] = {}

        def confirm(conn: Any, appended: list[tuple[int, Envelope]]) -> None:
            seq_of = {index_of[envelope.id]: seq for seq, envelope in appended}
            sql = Sql(conn, self.reader.dialect)
            head = appended[0][0] - 1 if appended else journal_head(sql)
            book = guess.book
            if head != guess.head:  # someone wrote since the prediction: plan again, locked
                book = load_book(sql, commands)
                actual = self._plan_all(book, commands, ids, to_us(now))
                if actual != guess.plans:
                    raise _Mispredicted(_Guess(actual, None, head))
            elif book is None:  # an earlier attempt's plans, made under the lock
                book = load_book(sql, commands)
                self._plan_all(book, commands, ids, to_us(now))
            flush_book(sql, book, *_positions(commands, guess.plans, seq_of), to_us(now))
            seqs.update(seq_of)

        self.log.append_batch(envelopes, apply=confirm)
        return seqs

    def reject_input(self, key: str, kind: str, error: ValidationError) -> Rejection:
        """Journal a request that could not even be read (wrong precision, a float ...).

        Such a request never becomes a command, but its attempt is audited all the same.
        """
        return self.reject_inputs([(key, kind, error)])[0]

    def reject_inputs(
        self, requests: Sequence[tuple[str, str, ValidationError]]
    ) -> list[Rejection]:
        """:meth:`reject_input` for many requests in one journal append (one commit)."""
        now = self.clock.now()
        envelopes = [
            Envelope(
                id=self._ids.new_str(),
                type=REJECTED_EVENT,
                schema_version=1,
                partition_key=key or "unreadable",
                occurred_at=now,
                recorded_at=now,
                payload={
                    "op": kind,
                    "key": key,
                    "body": {"unreadable": error.message},
                    "code": "rejected",
                    "problems": [[p.field, p.reason, p.code] for p in error.problems],
                },
            )
            for key, kind, error in requests
        ]
        if not envelopes:
            return []
        seqs = [seq for seq, _ in self.log.append_batch(envelopes).appended]
        return [
            Rejection(key, kind, tuple(error.problems), seq, "rejected")
            for (key, kind, error), seq in zip(requests, seqs, strict=True)
        ]

    def close(self) -> None:
        with self._read_lock:
            self.reader.conn.close()
        self.log.store.close()


def _outcomes(commands: Sequence[Command], plans: list[Plan], seqs: dict[int, int]) -> BatchResult:
    result = BatchResult()
    first_seq: dict[str, int] = {}
    for index, (command, decided) in enumerate(zip(commands, plans, strict=True)):
        seq = seqs.get(index, 0)
        if decided.status == ACCEPTED:
            first_seq[command.key] = seq
            result.outcomes.append(Receipt(command.key, decided.id, seq, command.kind))
        elif decided.status == REPLAYED:
            seq = decided.seq or first_seq.get(command.key, 0)
            result.outcomes.append(Receipt(command.key, decided.id, seq, command.kind, True))
        else:
            result.outcomes.append(
                Rejection(command.key, command.kind, decided.problems, seq, decided.code)
            )
    return result


def rejection_error(rejection: Rejection) -> FinmonError:
    """The exception :meth:`Ledger.execute` raises for a refusal."""
    listed = "; ".join(str(p) for p in rejection.problems)
    message = f"{rejection.kind} {rejection.key!r} rejected: {listed}"
    field = rejection.problems[0].field if rejection.problems else None
    if rejection.code == "not_found":
        return NotFoundError(message, field=field)
    if rejection.code == "conflict":
        return ConflictError(message, field=field)
    return ValidationError(message, problems=list(rejection.problems))


__all__ = ["Ledger", "open_reader", "rejection_error"]
