"""Decisions on disk, one row per transaction, written idempotently.

The bus delivers at least once, so the same transaction can reach the
pipeline twice (a nack, an ack that came too late, a consumer restart). The
store is keyed by ``transaction_id`` and a write inserts only the ids it does
not hold yet: the first decision for a transaction is the decision, a
redelivery changes nothing. At-least-once delivery plus this idempotent write
is what makes processing effectively once.

:class:`DecisionStore` is the embedded SQLite store;
:class:`~finmon.monitor.pipeline.store_postgres.PostgresDecisionStore` keeps
the same table on a server. Both share the reads and the checks here
(:class:`BaseDecisionStore`) and differ only in how they insert.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson

from finmon.core.errors import ValidationError
from finmon.monitor.decision import OUTCOMES, Decision, Outcome, Reason, ReasonKind
from finmon.store.migrations import Migration, apply_migrations
from finmon.store.sqlite import Synchronous, connect_sqlite

COMPONENT = "monitor.decisions"
ID_CHUNK = 900  # under SQLite's bound-parameter limit on old builds
COLUMNS = (
    "transaction_id, account_id, score, outcome, degraded, reasons, rule_hits,"
    " model_probability, model_version, ruleset_version, challenger_probability,"
    " alert_id, tags, occurred_us, decided_at_us, latency_us"
)
_TABLE = (
    "CREATE TABLE monitor_decisions ("
    " transaction_id TEXT PRIMARY KEY, account_id TEXT,"
    " score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),"
    " outcome TEXT NOT NULL CHECK (outcome IN ('approve', 'review', 'block')),"
    " degraded BOOLEAN NOT NULL, reasons TEXT NOT NULL, rule_hits TEXT NOT NULL,"
    " model_probability {real}, model_version TEXT, ruleset_version TEXT,"
    " challenger_probability {real}, alert_id TEXT, tags TEXT NOT NULL,"
    " occurred_us BIGINT NOT NULL, decided_at_us BIGINT NOT NULL,"
    " latency_us BIGINT NOT NULL{seq})"
)
_INDEXES = [
    "CREATE INDEX monitor_decisions_outcome ON monitor_decisions (outcome)",
    "CREATE INDEX monitor_decisions_alert ON monitor_decisions (alert_id)"
    " WHERE alert_id IS NOT NULL",
]

MIGRATIONS = [
    Migration(
        1,
        "create monitor_decisions",
        # SQLite orders by its implicit rowid; PostgreSQL needs an explicit sequence.
        sqlite=[_TABLE.format(real="REAL", seq=""), *_INDEXES],
        postgres=[
            _TABLE.format(
                real="DOUBLE PRECISION", seq=", seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE"
            ),
            *_INDEXES,
        ],
    )
]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as persisted: with the account it concerns and when it was made.

    ``decided_at_us`` comes from the pipeline's injected clock; the decision
    event is rebuilt from it, so a republished event has the same bytes.
    ``Decision.extra`` is not persisted (it is engine-internal detail).
    """

    decision: Decision
    decided_at_us: int
    account_id: str | None = None

    @property
    def transaction_id(self) -> str:
        return self.decision.transaction_id


class BaseDecisionStore(ABC):
    """Reads, checks and idempotent writes; a backend supplies ``_select`` and ``_insert``."""

    _mark = "?"  # the driver's parameter placeholder
    _order = "rowid"  # the column that orders rows by insertion

    # --- writes -----------------------------------------------------------------------

    def put_many(
        self,
        decisions: Iterable[Decision],
        *,
        decided_at_us: int = 0,
        account_ids: Mapping[str, str] | None = None,
    ) -> int:
        """Insert the decisions not stored yet; return how many were new."""
        accounts = account_ids or {}
        records = [
            StoredDecision(d, decided_at_us, accounts.get(d.transaction_id)) for d in decisions
        ]
        return len(self.put_new(records))

    def put_new(self, records: Sequence[StoredDecision]) -> list[StoredDecision]:
        """Insert ``records`` idempotently and return those that were actually new.

        A record repeated within ``records`` counts once (the first wins). A
        malformed decision (score outside 0..100, unknown outcome, no id) is
        refused with a ValidationError and nothing of the batch is written.
        """
        unique: dict[str, StoredDecision] = {}
        for record in records:
            check_decision(record.decision)
            unique.setdefault(record.transaction_id, record)
        if not unique:
            return []
        inserted = self._insert(list(unique.values()))
        return [r for tid, r in unique.items() if tid in inserted]

    # --- reads ------------------------------------------------------------------------

    def get(self, transaction_id: str) -> StoredDecision | None:
        """The stored decision of a transaction, or None."""
        return self.get_many([transaction_id]).get(transaction_id)

    def get_many(self, transaction_ids: Sequence[str]) -> dict[str, StoredDecision]:
        """The stored decisions among ``transaction_ids``, by id (absent ones left out)."""
        found: dict[str, StoredDecision] = {}
        unique = list(dict.fromkeys(transaction_ids))
        for start in range(0, len(unique), ID_CHUNK):
            chunk = unique[start : start + ID_CHUNK]
            marks = ",".join([self._mark] * len(chunk))
            rows = self._select(
                f"SELECT {COLUMNS} FROM monitor_decisions"  # noqa: S608
                f" WHERE transaction_id IN ({marks})",
                chunk,
            )
            found.update((row[0], to_record(row)) for row in rows)
        return found

    def recent(self, limit: int = 50, outcome: Outcome | None = None) -> list[StoredDecision]:
        """The last ``limit`` decisions stored (newest first), optionally of one outcome."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit must be an integer of at least 1", field="limit")
        if outcome is not None and outcome not in OUTCOMES:
            raise ValidationError(f"unknown outcome {outcome!r}", field="outcome")
        where = f"WHERE outcome = {self._mark}" if outcome else ""
        params: list[Any] = [outcome, limit] if outcome else [limit]
        rows = self._select(
            f"SELECT {COLUMNS} FROM monitor_decisions {where}"  # noqa: S608
            f" ORDER BY {self._order} DESC LIMIT {self._mark}",
            params,
        )
        return [to_record(row) for row in rows]

    def count_by_outcome(self) -> dict[str, int]:
        """Decisions per outcome; every outcome is present, zero when none."""
        counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        rows = self._select("SELECT outcome, count(*) FROM monitor_decisions GROUP BY outcome", [])
        counts.update({str(outcome): int(n) for outcome, n in rows})
        return counts

    def count(self) -> int:
        """Every decision stored."""
        rows = self._select("SELECT count(*) FROM monitor_decisions", [])
        return int(rows[0][0])

    @abstractmethod
    def close(self) -> None:
        """Release the backend's connections."""

    def __enter__(self) -> BaseDecisionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- backend ----------------------------------------------------------------------

    @abstractmethod
    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of one read-only query, in the backend's parameter style."""

    @abstractmethod
    def _insert(self, records: list[StoredDecision]) -> set[str]:
        """Insert the records whose id is not stored yet, atomically; return their ids."""


class DecisionStore(BaseDecisionStore):
    """Decisions in one SQLite file (WAL); safe to share between threads."""

    def __init__(self, path: Path | str, *, synchronous: Synchronous = "normal") -> None:
        self.path = Path(path)
        self._conn = connect_sqlite(self.path, synchronous=synchronous)
        self._lock = threading.Lock()
        apply_migrations(self._conn, "sqlite", COMPONENT, MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> DecisionStore:
        return self

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _insert(self, records: list[StoredDecision]) -> set[str]:
        """Read the ids present and insert the rest under one ``BEGIN IMMEDIATE``.

        The write lock makes the answer exact even with another writer on the
        file. A plain INSERT, not INSERT OR IGNORE: no conflict can happen
        under the lock, and OR IGNORE would also skip a row breaking a CHECK.
        """
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                present = self._present([r.transaction_id for r in records])
                fresh = [r for r in records if r.transaction_id not in present]
                self._conn.executemany(
                    f"INSERT INTO monitor_decisions ({COLUMNS})"  # noqa: S608
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [to_row(r) for r in fresh],
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return {r.transaction_id for r in fresh}

    def _present(self, transaction_ids: Sequence[str]) -> set[str]:
        present: set[str] = set()
        for start in range(0, len(transaction_ids), ID_CHUNK):
            chunk = transaction_ids[start : start + ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT transaction_id FROM monitor_decisions"  # noqa: S608
                f" WHERE transaction_id IN ({marks})",
                chunk,
            )
            present.update(row[0] for row in rows)
        return present


def check_decision(decision: Decision) -> None:
    """Refuse a decision the table would refuse, naming the field, before any write."""
    if not decision.transaction_id:
        raise ValidationError("a decision needs a transaction id", field="transaction_id")
    if isinstance(decision.score, bool) or not 0 <= decision.score <= 100:
        raise ValidationError(
            f"score must be an int within 0..100, got {decision.score!r}", field="score"
        )
    if decision.outcome not in OUTCOMES:
        raise ValidationError(f"unknown outcome {decision.outcome!r}", field="outcome")


def to_row(record: StoredDecision) -> tuple[Any, ...]:
    """The table row of a record, in :data:`COLUMNS` order."""
    d = record.decision
    return (
        d.transaction_id,
        record.account_id,
        d.score,
        d.outcome,
        bool(d.degraded),
        orjson.dumps([r.to_dict() for r in d.reasons]).decode(),
        orjson.dumps(list(d.rule_hits)).decode(),
        d.model_probability,
        d.model_version,
        d.ruleset_version,
        d.challenger_probability,
        d.alert_id,
        orjson.dumps(list(d.tags)).decode(),
        d.occurred_us,
        record.decided_at_us,
        d.latency_us,
    )


def to_record(row: sqlite3.Row | tuple[Any, ...]) -> StoredDecision:
    """A record from a table row in :data:`COLUMNS` order."""
    reasons = tuple(
        Reason(cast(ReasonKind, r["kind"]), r["code"], r["text"], float(r["weight"]))
        for r in orjson.loads(row[5])
    )
    decision = Decision(
        transaction_id=row[0],
        score=int(row[2]),
        outcome=cast(Outcome, row[3]),
        degraded=bool(row[4]),
        reasons=reasons,
        rule_hits=tuple(orjson.loads(row[6])),
        model_probability=row[7],
        model_version=row[8],
        ruleset_version=row[9],
        challenger_probability=row[10],
        alert_id=row[11],
        tags=tuple(orjson.loads(row[12])),
        occurred_us=int(row[13]),
        latency_us=int(row[15]),
    )
    return StoredDecision(decision, int(row[14]), row[1])


__all__ = [
    "COLUMNS",
    "COMPONENT",
    "MIGRATIONS",
    "BaseDecisionStore",
    "DecisionStore",
    "StoredDecision",
    "check_decision",
    "to_record",
    "to_row",
]
