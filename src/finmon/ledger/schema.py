"""The ledger's tables: projections of its journal, in the journal's own database.

They live beside the ``log_*`` tables (same SQLite file, same PostgreSQL
schema) because :meth:`finmon.events.Log.append_batch` writes them in the
journal's transaction: a balance can never be ahead of or behind the journal.

- ``ledger_accounts``: the chart of accounts, one row per account.
- ``ledger_balances``: four running sums per account (posted and pending
  debits and credits), updated in place; :func:`finmon.ledger.verify` checks
  each against the sum of its entries and against a replay of the journal.
- ``ledger_entries``: every balance change ever made, append-only, keyed by
  journal sequence number: statements and balances as of a past time read it.
- ``ledger_transfers``, ``ledger_holds``: what reversals and hold operations
  look up; ``ledger_keys``: the first accepted use of each idempotency key.
"""

from __future__ import annotations

from finmon.store.migrations import Migration

_INT = {"sqlite": "INTEGER", "postgres": "BIGINT"}


def _tables(dialect: str) -> list[str]:
    big = _INT[dialect]
    return [
        "CREATE TABLE ledger_accounts (id TEXT PRIMARY KEY, type TEXT NOT NULL,"
        " currency TEXT NOT NULL, parent TEXT REFERENCES ledger_accounts(id),"
        " normal_side TEXT NOT NULL, status TEXT NOT NULL, overdraft_limit "
        f"{big}, flags INTEGER NOT NULL, name TEXT NOT NULL, opened_seq {big} NOT NULL)",
        f"CREATE TABLE ledger_balances (account TEXT PRIMARY KEY, debits_posted {big} NOT NULL,"
        f" credits_posted {big} NOT NULL, debits_pending {big} NOT NULL,"
        f" credits_pending {big} NOT NULL, last_seq {big} NOT NULL)",
        f"CREATE TABLE ledger_entries (seq {big} NOT NULL, n INTEGER NOT NULL,"
        " transfer_id TEXT NOT NULL, account TEXT NOT NULL, currency TEXT NOT NULL,"
        f" debit {big} NOT NULL, credit {big} NOT NULL, bucket TEXT NOT NULL,"
        f" at_us {big} NOT NULL, PRIMARY KEY (seq, n))",
        "CREATE INDEX ledger_entries_account ON ledger_entries (account, seq)",
        "CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id)",
        "CREATE TABLE ledger_transfers (id TEXT PRIMARY KEY, key TEXT NOT NULL,"
        f" kind TEXT NOT NULL, seq {big} NOT NULL, link TEXT, reversed_by TEXT,"
        f" at_us {big} NOT NULL)",
        f"CREATE TABLE ledger_holds (id TEXT PRIMARY KEY, status TEXT NOT NULL,"
        f" expires_at_us {big} NOT NULL)",
        "CREATE INDEX ledger_holds_pending ON ledger_holds (status, expires_at_us)",
        "CREATE TABLE ledger_keys (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL,"
        f" id TEXT NOT NULL, seq {big} NOT NULL, kind TEXT NOT NULL)",
    ]


_REFERENCE = "ALTER TABLE ledger_transfers ADD COLUMN reference TEXT NOT NULL DEFAULT ''"

MIGRATIONS = [
    Migration(1, "create ledger tables", sqlite=_tables("sqlite"), postgres=_tables("postgres")),
    Migration(
        2, "transfer references for reconciliation", sqlite=[_REFERENCE], postgres=[_REFERENCE]
    ),
]

__all__ = ["MIGRATIONS"]
