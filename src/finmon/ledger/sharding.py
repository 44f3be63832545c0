"""A ledger sharded over N PostgreSQL databases, with two-phase commit across shards.

Accounts are placed by a stable hash of their id (:func:`shard_of`: SHA-256,
never Python's salted ``hash``), so every process agrees where an account
lives. A transfer between two shards is two balanced legs, one per shard,
joined through each shard's clearing account for the currency::

    shard A: debit  <from>            credit clearing:<CUR>
    shard B: debit  clearing:<CUR>    credit <to>

so each shard's books balance on their own and the clearing accounts net to
zero over all shards. Both legs are written in a transaction on their shard,
``PREPARE TRANSACTION``-ed, and committed with ``COMMIT PREPARED`` only after
the coordinator has durably logged its commit decision. See docs/ledger.md,
"Sharding and two-phase commit", for the states, recovery and guarantees.

Each shard is a schema on a database URL (:class:`ShardSpec`); shards may sit
in separate databases or separate schemas of one database. The coordinator log
is a table in its own schema (:class:`CoordinatorLog`).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from finmon.core.errors import ConflictError, FinmonError, UnavailableError, ValidationError
from finmon.core.money import Money
from finmon.store.postgres import connect_postgres

GID_PREFIX = "fm2pc_"
PREPARING, COMMITTED, ABORTED, DONE = "preparing", "committed", "aborted", "done"
Hook = Callable[[str, str], None]

_SHARD_TABLES = (
    "CREATE TABLE IF NOT EXISTS shard_accounts (id TEXT PRIMARY KEY, currency TEXT NOT NULL,"
    " debits BIGINT NOT NULL DEFAULT 0, credits BIGINT NOT NULL DEFAULT 0,"
    " overdraft_limit BIGINT)",
    "CREATE TABLE IF NOT EXISTS shard_entries (gid TEXT NOT NULL, n INTEGER NOT NULL,"
    " account TEXT NOT NULL, currency TEXT NOT NULL, debit BIGINT NOT NULL,"
    " credit BIGINT NOT NULL, transfer_key TEXT NOT NULL, PRIMARY KEY (gid, n))",
)
_COORD_TABLE = (
    "CREATE TABLE IF NOT EXISTS coord_log (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL,"
    " gid TEXT NOT NULL UNIQUE, state TEXT NOT NULL, shards TEXT NOT NULL,"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT now(), decided_at TIMESTAMPTZ)"
)


def shard_of(account: str, shards: int) -> int:
    """The shard (0..shards-1) that holds ``account``: stable across processes and runs."""
    if shards < 1:
        raise ValidationError("a sharded ledger needs at least one shard", field="shards")
    digest = hashlib.sha256(account.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def clearing_account(currency: str) -> str:
    return f"clearing:{currency}"


@dataclass(frozen=True, slots=True)
class ShardSpec:
    """One shard: a PostgreSQL database URL and the schema its tables live in."""

    name: str
    url: str
    schema: str


@dataclass(frozen=True, slots=True)
class Leg:
    """One shard's balanced half of a transfer: debit ``debit``, credit ``credit``."""

    shard: int
    debit: str
    credit: str


@dataclass(frozen=True, slots=True)
class ShardReceipt:
    key: str
    gid: str
    replayed: bool = False


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValidationError(f"not a plain identifier: {name!r}", field="schema")
    return f'"{name}"'


def _connect(url: str, schema: str) -> Any:
    conn = connect_postgres(url, autocommit=True)
    conn.execute(f"SET search_path TO {_ident(schema)}")
    return conn


def _literal(text: str) -> str:
    """A SQL string literal for PREPARE/COMMIT PREPARED (they take no parameters)."""
    if not all(c.isalnum() or c in "_.-" for c in text):
        raise ValidationError(f"not a plain transaction id: {text!r}", field="gid")
    return f"'{text}'"


def shard_gid(gid: str, shard: ShardSpec) -> str:
    """The prepared transaction's id on one shard (gids are unique per server)."""
    return f"{gid}.{shard.name}"


class CoordinatorLog:
    """The durable decision log: one row per idempotency key, committed before it counts.

    The row's ``state`` moves preparing -> committed -> done or preparing ->
    aborted, always by compare-and-set, so a coordinator and a recovery run
    racing on one transaction agree on a single decision.
    """

    def __init__(self, url: str, schema: str) -> None:
        self.url, self.schema = url, schema
        self.conn = _connect(url, schema)
        # Only the commit decision must be on disk before a shard commits; it is
        # written with synchronous_commit=on, whose flush covers every earlier
        # record too. The claim and "done" rows are not worth a flush of their own.
        self.conn.execute("SET synchronous_commit = off")

    def setup(self) -> None:
        self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(self.schema)}")
        self.conn.execute(_COORD_TABLE)

    def begin(self, key: str, body_hash: str, gid: str, shards: str) -> tuple[str, str] | None:
        """Claim ``key`` for attempt ``gid``; None when claimed, else the key's (gid, state)."""
        row = self.conn.execute(
            "INSERT INTO coord_log (key, body_hash, gid, state, shards) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (key) DO NOTHING RETURNING gid",
            (key, body_hash, gid, PREPARING, shards),
        ).fetchone()  # asynchronous commit: losing a ``preparing`` row only means abort
        if row:
            return None
        found = self.conn.execute(
            "SELECT body_hash, gid, state FROM coord_log WHERE key = %s", (key,)
        ).fetchone()
        if found is None:  # deleted in between: cannot happen (rows are never deleted)
            raise UnavailableError(f"coordinator log lost key {key!r}")
        if found[0] != body_hash:
            raise ConflictError(f"idempotency key {key!r} reused with another body", field="key")
        if found[2] == ABORTED:  # a failed attempt: this delivery may try again
            retried = self.conn.execute(
                "UPDATE coord_log SET gid = %s, state = %s, shards = %s, created_at = now(),"
                " decided_at = NULL WHERE key = %s AND state = %s RETURNING gid",
                (gid, PREPARING, shards, key, ABORTED),
            ).fetchone()
            if retried:
                return None
        return str(found[1]), str(found[2])

    def decide(self, gid: str, state: str) -> bool:
        """Move ``gid`` from preparing to ``state``; False if it already left preparing."""
        with self.conn.transaction():
            self.conn.execute("SET LOCAL synchronous_commit = on")
            row = self.conn.execute(
                "UPDATE coord_log SET state = %s, decided_at = now() WHERE gid = %s AND state = %s"
                " RETURNING gid",
                (state, gid, PREPARING),
            ).fetchone()
        return row is not None

    def mark_done(self, gid: str) -> None:
        self.conn.execute(
            "UPDATE coord_log SET state = %s WHERE gid = %s AND state = %s", (DONE, gid, COMMITTED)
        )

    def states(self) -> dict[str, tuple[str, float]]:
        """gid -> (state, age in seconds by the database's clock) of every row."""
        rows = self.conn.execute(
            "SELECT gid, state, extract(epoch FROM now() - created_at) FROM coord_log"
        ).fetchall()
        return {str(r[0]): (str(r[1]), float(r[2])) for r in rows}

    def close(self) -> None:
        self.conn.close()


class ShardedLedger:
    """Accounts over ``shards`` by stable hash; transfers across shards by 2PC.

    Not thread-safe: give each thread its own instance (they share the databases).

    Args:
        shards: where each shard lives; their order is the placement.
        coordinator: the decision log.
        timeout_s: a transfer not ready to commit within this is aborted (lock and
            statement timeouts on the shards, a deadline before the decision);
            :meth:`recover` presumes abandoned ``preparing`` rows older than it aborted.
        hook: called as ``hook(phase, gid)`` at each step (tests pause or die there).
    """

    def __init__(
        self,
        shards: Sequence[ShardSpec],
        coordinator: CoordinatorLog,
        *,
        timeout_s: float = 5.0,
        hook: Hook | None = None,
    ) -> None:
        if not shards:
            raise ValidationError("a sharded ledger needs at least one shard", field="shards")
        self.shards = list(shards)
        self.coordinator = coordinator
        self.timeout_s = timeout_s
        self.hook = hook
        self.conns: list[Any] = [_connect(s.url, s.schema) for s in self.shards]

    # -- setup and accounts -------------------------------------------------

    def setup(self) -> None:
        """Create the shard schemas and tables and the coordinator log (idempotent)."""
        self.coordinator.setup()
        for index, shard in enumerate(self.shards):
            self.conns[index].execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(shard.schema)}")
            for statement in _SHARD_TABLES:
                self.conns[index].execute(statement)

    def shard_for(self, account: str) -> int:
        return shard_of(account, len(self.shards))

    def open_account(
        self, account: str, currency: str, *, overdraft_limit: Money | None = None
    ) -> int:
        """Open a deposit account (credit-normal) on its shard; returns the shard index.

        ``overdraft_limit`` None means no limit is checked; Money(0) means no overdraft.
        """
        index = self.shard_for(account)
        limit = None if overdraft_limit is None else overdraft_limit.minor
        self.conns[index].execute(
            "INSERT INTO shard_accounts (id, currency, overdraft_limit) VALUES (%s, %s, %s)",
            (account, currency, limit),
        )
        return index

    # -- transfers ----------------------------------------------------------

    def legs(self, debit: str, credit: str, currency: str) -> list[Leg]:
        """One leg on one shard, or a leg per shard through the clearing accounts."""
        a, b = self.shard_for(debit), self.shard_for(credit)
        if a == b:
            return [Leg(a, debit, credit)]
        clearing = clearing_account(currency)
        return sorted([Leg(a, debit, clearing), Leg(b, clearing, credit)], key=lambda g: g.shard)

    def transfer(self, key: str, debit: str, credit: str, amount: Money) -> ShardReceipt:
        """Move ``amount`` from ``debit`` to ``credit`` (deposit accounts), exactly once per key.

        Raises:
            ValidationError: unknown account, currency mismatch, overdraft beyond the limit.
            ConflictError: the key was used with another body, or is being applied now.
            UnavailableError: a shard failed or the timeout passed; nothing was applied
                (retry with the same key).
        """
        if amount.minor <= 0 or debit == credit:
            raise ValidationError("a transfer moves a positive amount between two accounts")
        body = f"{debit}|{credit}|{amount.minor}|{amount.currency.code}"
        body_hash = hashlib.sha256(body.encode()).hexdigest()
        legs = self.legs(debit, credit, amount.currency.code)
        gid = f"{GID_PREFIX}{uuid.uuid4().hex}"
        names = ",".join(self.shards[leg.shard].name for leg in legs)
        existing = self.coordinator.begin(key, body_hash, gid, names)
        if existing is not None:
            return self._replay(key, *existing)
        self._run(gid, key, legs, amount)
        return ShardReceipt(key, gid)

    def _replay(self, key: str, gid: str, state: str) -> ShardReceipt:
        if state in (COMMITTED, DONE):
            return ShardReceipt(key, gid, replayed=True)
        raise ConflictError(f"transfer {key!r} is in progress ({state}); retry later", field="key")

    def _run(self, gid: str, key: str, legs: list[Leg], amount: Money) -> None:
        deadline = time.monotonic() + self.timeout_s
        prepared: list[int] = []
        try:
            for leg in legs:
                self._prepare(gid, key, leg, amount, deadline)
                prepared.append(leg.shard)
            self._step("prepared", gid)
            if time.monotonic() > deadline:
                raise UnavailableError(f"transfer {key!r} timed out before commit")
        except FinmonError:
            self._abort(gid, prepared)
            raise
        except Exception as exc:  # a shard's connection dropped, a timeout fired ...
            self._abort(gid, prepared)
            raise UnavailableError(f"transfer {key!r} aborted: {exc}") from exc
        try:
            decided = self.coordinator.decide(gid, COMMITTED)
        except Exception as exc:  # the decision may or may not be on disk: leave it in doubt
            raise UnavailableError(
                f"transfer {key!r}: commit decision unknown ({exc}); recover() resolves it"
            ) from exc
        if not decided:  # recovery aborted it meanwhile
            self._abort(gid, prepared)
            raise UnavailableError(f"transfer {key!r} was aborted by recovery (timeout)")
        self._step("decided", gid)
        self._commit_all(gid, prepared)

    def _step(self, phase: str, gid: str) -> None:
        if self.hook is not None:
            self.hook(phase, gid)

    def _prepare(self, gid: str, key: str, leg: Leg, amount: Money, deadline: float) -> None:
        conn = self.conns[leg.shard]
        remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
        try:
            conn.execute(  # one round trip (simple query protocol, no parameters)
                f"BEGIN; SET LOCAL lock_timeout = {remaining_ms};"
                f" SET LOCAL statement_timeout = {remaining_ms}"
            )
            _apply_leg(conn, gid, key, leg, amount)
            self._step(f"before_prepare:{self.shards[leg.shard].name}", gid)
            conn.execute(f"PREPARE TRANSACTION {_literal(shard_gid(gid, self.shards[leg.shard]))}")
        except BaseException:
            _quiet_rollback(conn)
            if conn.closed or conn.broken:  # dropped: the server rolled it back
                self._reconnect(leg.shard)
            raise

    def _abort(self, gid: str, prepared: list[int]) -> None:
        """Record the abort (best effort: absence of a commit decision means abort anyway)."""
        try:
            self.coordinator.decide(gid, ABORTED)
        except Exception:  # noqa: S110 - presumed abort: recovery resolves it the same way
            pass
        for index in prepared:
            self._finish(index, gid, commit=False)

    def _commit_all(self, gid: str, prepared: list[int]) -> None:
        done = True
        for index in prepared:
            done = self._finish(index, gid, commit=True) and done
            self._step(f"committed:{self.shards[index].name}", gid)
        if done:
            self.coordinator.mark_done(gid)

    def _finish(self, index: int, gid: str, *, commit: bool) -> bool:
        """COMMIT/ROLLBACK PREPARED on one shard, reconnecting once; False leaves it to recovery."""
        verb = "COMMIT PREPARED" if commit else "ROLLBACK PREPARED"
        statement = f"{verb} {_literal(shard_gid(gid, self.shards[index]))}"
        for _ in range(2):
            try:
                self.conns[index].execute(statement)
                return True
            except Exception:
                self._reconnect(index)
        return False

    def _reconnect(self, index: int) -> None:
        try:
            self.conns[index].close()
        finally:
            shard = self.shards[index]
            try:
                self.conns[index] = _connect(shard.url, shard.schema)
            except UnavailableError:
                pass

    # -- recovery and reading -----------------------------------------------

    def recover(self, *, abandon_after_s: float | None = None) -> dict[str, int]:
        """Resolve every in-doubt prepared transaction on every shard.

        Presumed abort: a prepared leg whose gid has a ``committed`` decision is
        committed; any other prepared leg (aborted, unknown, or ``preparing``
        older than ``abandon_after_s``, default the timeout) is rolled back,
        after its row is moved to ``aborted`` so a live coordinator cannot
        commit it later. Returns counts of what was done.
        """
        cutoff = self.timeout_s if abandon_after_s is None else abandon_after_s
        counts = {"committed": 0, "rolled_back": 0, "left": 0}
        states = self.coordinator.states()
        for gid, (state, age) in states.items():
            if state == PREPARING and age >= cutoff:
                self.coordinator.decide(gid, ABORTED)
        states = self.coordinator.states()
        for index in range(len(self.shards)):
            for gid in self._in_doubt(index):
                state = states.get(gid, (ABORTED, 0.0))[0]
                if state == PREPARING:
                    counts["left"] += 1
                    continue
                if self._finish(index, gid, commit=state in (COMMITTED, DONE)):
                    counts["committed" if state in (COMMITTED, DONE) else "rolled_back"] += 1
        still = {gid for index in range(len(self.shards)) for gid in self._in_doubt(index)}
        for gid, (state, _) in states.items():
            if state == COMMITTED and gid not in still:
                self.coordinator.mark_done(gid)
        return counts

    def _in_doubt(self, index: int) -> list[str]:
        """The coordinator gids with a prepared leg on shard ``index``."""
        suffix = f".{self.shards[index].name}"
        rows = (
            self.conns[index]
            .execute(
                "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
                " AND gid LIKE %s",
                (f"{GID_PREFIX}%",),
            )
            .fetchall()
        )
        return [str(r[0])[: -len(suffix)] for r in rows if str(r[0]).endswith(suffix)]

    def balances(self) -> dict[tuple[int, str], tuple[str, int]]:
        """(shard, account) -> (currency, debits - credits) from the entries, clearing included."""
        found: dict[tuple[int, str], tuple[str, int]] = {}
        for index, conn in enumerate(self.conns):
            rows = conn.execute(
                "SELECT account, currency, COALESCE(SUM(debit - credit), 0) FROM shard_entries"
                " GROUP BY account, currency"
            ).fetchall()
            for account, currency, net in rows:
                found[(index, str(account))] = (str(currency), int(net))
        return found

    def balance(self, account: str) -> int:
        """A deposit account's balance (credits - debits), from its running sums."""
        row = (
            self.conns[self.shard_for(account)]
            .execute("SELECT credits - debits FROM shard_accounts WHERE id = %s", (account,))
            .fetchone()
        )
        if row is None:
            raise ValidationError(f"unknown account {account!r}", field=account)
        return int(row[0])

    def check(self) -> list[str]:
        """Problems with the books: running sums vs entries, per-shard and global zero sums."""
        problems: list[str] = []
        totals: dict[str, int] = {}
        for index, conn in enumerate(self.conns):
            rows = conn.execute(
                "SELECT a.id, a.debits - a.credits, COALESCE(SUM(e.debit - e.credit), 0)"
                " FROM shard_accounts a LEFT JOIN shard_entries e ON e.account = a.id"
                " GROUP BY a.id, a.debits, a.credits"
            ).fetchall()
            problems += [
                f"shard {index}: {r[0]} sums {r[1]} != entries {r[2]}"
                for r in rows
                if int(r[1]) != int(r[2])
            ]
            for currency, net in conn.execute(
                "SELECT currency, SUM(debit - credit) FROM shard_entries GROUP BY currency"
            ).fetchall():
                if int(net) != 0:
                    problems.append(f"shard {index}: {currency} nets {net}, not zero")
                totals[str(currency)] = totals.get(str(currency), 0) + int(net)
        problems += [f"{c} nets {n} over all shards" for c, n in totals.items() if n != 0]
        return problems

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.coordinator.close()


def _apply_leg(conn: Any, gid: str, key: str, leg: Leg, amount: Money) -> None:
    """Lock the leg's accounts, check currency and limit, write entries and running sums."""
    tracked = [a for a in sorted({leg.debit, leg.credit}) if not a.startswith("clearing:")]
    rows = conn.execute(
        "SELECT id, currency, debits, credits, overdraft_limit FROM shard_accounts"
        " WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
        (tracked,),
    ).fetchall()
    found = {str(r[0]): r for r in rows}
    for account in tracked:
        row = found.get(account)
        if row is None:
            raise ValidationError(f"unknown account {account!r}", field=account)
        if row[1] != amount.currency.code:
            raise ValidationError(
                f"{account}: currency {row[1]}, transfer in {amount.currency.code}", field=account
            )
    if leg.debit in found:
        _, _, debits, credits, limit = found[leg.debit]
        if limit is not None and credits - debits - amount.minor < -int(limit):
            raise ValidationError(f"{leg.debit}: overdraft beyond the limit", field=leg.debit)
    conn.execute(
        "INSERT INTO shard_entries (gid, n, account, currency, debit, credit, transfer_key)"
        " VALUES (%s, 0, %s, %s, %s, 0, %s), (%s, 1, %s, %s, 0, %s, %s)",
        (
            gid,
            leg.debit,
            amount.currency.code,
            amount.minor,
            key,
            gid,
            leg.credit,
            amount.currency.code,
            amount.minor,
            key,
        ),
    )
    conn.execute(
        "UPDATE shard_accounts SET debits = debits + %s WHERE id = %s", (amount.minor, leg.debit)
    )
    conn.execute(
        "UPDATE shard_accounts SET credits = credits + %s WHERE id = %s", (amount.minor, leg.credit)
    )


def _quiet_rollback(conn: Any) -> None:
    try:
        conn.execute("ROLLBACK")
    except Exception:  # noqa: S110 - the connection is gone: the server rolled back already
        pass


__all__ = [
    "ABORTED",
    "COMMITTED",
    "DONE",
    "PREPARING",
    "CoordinatorLog",
    "Leg",
    "ShardReceipt",
    "ShardSpec",
    "ShardedLedger",
    "clearing_account",
    "shard_gid",
    "shard_of",
]
