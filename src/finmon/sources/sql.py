"""Poll a SQL table or query for new transactions and load each row exactly once.

Any SQLAlchemy URL works (``sqlite:///warehouse.db``,
``postgresql+psycopg://user@host/db``; a bare ``postgresql://`` URL is given
the psycopg driver). Each poll reads the next rows after the saved position::

    WHERE (watermark > :w) OR (watermark = :w AND key > :k)
    ORDER BY watermark, key LIMIT :batch

validates them, appends the good ones to the log, and only then saves the new
position (with the bad rows as dead letters, in the same SQLite transaction,
see :mod:`finmon.sources.sqlstate`).

Why exactly once: a row is either before the saved position (loaded, and its
event is in the log) or after it (read again by the next poll). A crash after
the append but before the save re-reads rows whose events the log already
holds; their event ids derive from ``transaction_id``, so the log stores them
once and reports duplicates. A crash before the append loses nothing either:
the position has not moved. A bad row never stalls the connector: it is
recorded with its reasons and the position moves past it.

What the source must guarantee: the watermark only grows for new rows (an
identity column, or a timestamp set when the row becomes visible), and
(watermark, key) is unique. A row that commits late with an older watermark
(a long transaction stamped at its start) can be missed: poll a column set at
commit, or an id from a sequence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from finmon.core.clock import Clock
from finmon.core.errors import UnavailableError, ValidationError
from finmon.core.settings import redact_url
from finmon.events.log import Log
from finmon.sources.report import MAX_PROBLEMS
from finmon.sources.sqlstate import DeadLetter, Position, SqlState
from finmon.sources.validate import RowProblem, TransactionValidator
from finmon.sources.writer import append_transactions

DEFAULT_BATCH = 5_000


def engine_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` get the psycopg driver finmon ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True, slots=True)
class SqlSource:
    """What to poll: a table or a query, ordered by (watermark, key)."""

    url: str
    watermark: str
    key: str
    table: str | None = None
    query: str | None = None
    name: str | None = None
    batch_size: int = DEFAULT_BATCH

    def __post_init__(self) -> None:
        if (self.table is None) == (self.query is None):
            raise ValidationError("give a table or a query, not both or neither", field="table")
        if self.batch_size < 1:
            raise ValidationError("must be at least 1", field="batch_size")

    @property
    def connector(self) -> str:
        return self.name or self.table or "query"

    def describe(self) -> str:
        """What the saved position belongs to (password redacted)."""
        what = f"table {self.table}" if self.table else f"query {self.query}"
        return f"{redact_url(self.url)} {what} by ({self.watermark}, {self.key})"


@dataclass(slots=True)
class PollResult:
    """One poll: rows read, stored, already in the log, dead-lettered, and the problems."""

    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "problems": [p.to_dict() for p in self.problems],
        }


def _bind(name: str, value: Any) -> sa.BindParameter[Any]:
    """A typed parameter: the database compares like with like (timestamptz with timestamptz)."""
    types: list[tuple[type, sa.types.TypeEngine[Any]]] = [
        (datetime, sa.DateTime(timezone=getattr(value, "tzinfo", None) is not None)),
        (date, sa.Date()),
        (int, sa.BigInteger()),
        (Decimal, sa.Numeric()),
    ]
    for kind, typ in types:
        if isinstance(value, kind):
            return sa.bindparam(name, value, type_=typ)
    return sa.bindparam(name, value, type_=sa.Text())


class SqlPoller:
    """Loads one source into one log; ``after_append`` is a test hook for the crash window."""

    def __init__(
        self,
        source: SqlSource,
        log: Log,
        state: SqlState,
        *,
        clock: Clock | None = None,
        owners: Mapping[str, str] | None = None,
        after_append: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.log = log
        self.state = state
        self.clock = clock
        self.owners = owners
        self.after_append = after_append
        # No pool: a poll every few seconds does not need one, and no connection
        # outlives the poll that opened it.
        self.engine = sa.create_engine(engine_url(source.url), poolclass=sa.pool.NullPool)

    def close(self) -> None:
        self.engine.dispose()

    def _statement(self, after: Position | None) -> sa.Select[Any]:
        src = self.source
        if src.table is not None:
            schema, _, name = src.table.rpartition(".")
            origin: sa.FromClause = sa.table(name, schema=schema or None)
        else:
            origin = sa.text(str(src.query)).columns().subquery("src")
        wm: sa.ColumnClause[Any] = sa.column(src.watermark)
        key: sa.ColumnClause[Any] = sa.column(src.key)
        stmt: sa.Select[Any] = (
            sa.select(sa.literal_column("*")).select_from(origin).where(wm.is_not(None))
        )
        if after is not None:
            w, k = _bind("w", after.watermark), _bind("k", after.key)
            w2 = _bind("w2", after.watermark)
            stmt = stmt.where(sa.or_(wm > w, sa.and_(wm == w2, key > k)))
        return stmt.order_by(wm, key).limit(src.batch_size)

    def _fetch(self, after: Position | None) -> list[dict[str, Any]]:
        """The next rows; an unreachable database and a failing query are told apart."""
        try:
            conn = self.engine.connect()
        except sa.exc.DBAPIError as exc:
            raise UnavailableError(
                f"cannot connect to {redact_url(self.source.url)}: {exc.orig}", field="url"
            ) from exc
        with conn:
            try:
                result = conn.execute(self._statement(after))
            except sa.exc.DBAPIError as exc:
                raise ValidationError(
                    f"polling {self.source.describe()} failed: {exc.orig}",
                    field="query" if self.source.query else "table",
                    code="source_query",
                ) from exc
            return [dict(row) for row in result.mappings()]

    def poll_once(self) -> PollResult:
        """Load the next batch; an empty result means the source is caught up."""
        src = self.source
        position = self.state.position(src.connector, src.describe())
        rows = self._fetch(position)
        result = PollResult(rows=len(rows))
        if not rows:
            return result
        for column in (src.watermark, src.key):
            if column not in rows[0]:
                raise ValidationError(f"the source has no column {column!r}", field=column)
        before = position.rows_loaded if position else 0
        validator = TransactionValidator(self.owners, detect_duplicates=False)
        validated = validator.validate_rows(rows, first_row=before + 1)
        result.accepted, result.duplicates = append_transactions(
            self.log, validated.rows, clock=self.clock
        )
        if self.after_append is not None:
            self.after_append()
        letters = [self._dead_letter(rows[i], problems) for i, problems in validated.bad.items()]
        last = rows[-1]
        after = Position(last[src.watermark], last[src.key], before + len(rows))
        self.state.save(src.connector, src.describe(), after, letters)
        result.rejected = len(letters)
        result.problems = validated.problems()[:MAX_PROBLEMS]
        return result

    def _dead_letter(self, row: dict[str, Any], problems: Sequence[Any]) -> DeadLetter:
        return DeadLetter(
            key=row[self.source.key],
            watermark=row[self.source.watermark],
            row=row,
            errors=[str(p) for p in problems],
        )

    def run(
        self,
        *,
        interval: float = 5.0,
        once: bool = False,
        on_poll: Callable[[PollResult], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> PollResult:
        """Poll until stopped (or, with ``once``, until caught up); return the totals."""
        total = PollResult()
        while not should_stop():
            result = self.poll_once()
            total.rows += result.rows
            total.accepted += result.accepted
            total.duplicates += result.duplicates
            total.rejected += result.rejected
            total.problems.extend(result.problems[: MAX_PROBLEMS - len(total.problems)])
            if on_poll is not None:
                on_poll(result)
            if result.rows < self.source.batch_size:  # caught up
                if once:
                    break
                time.sleep(interval)
        return total


__all__ = ["DEFAULT_BATCH", "PollResult", "SqlPoller", "SqlSource", "engine_url"]
