"""Rule-set versions in SQLite: save, activate (deploy / roll back), history with diffs.

Rules change the bank's decisions, so every change is an audited event: who,
when (from the injected clock), what (the verbatim text and its sha256), and
which rules it added, removed or changed. Saving validates first; a broken or
poisoned rule set is refused with its reasons, the refusal itself is recorded,
and whatever was active stays active. Activating an older revision is a
rollback and is recorded the same way. Stored text is checked against its
sha256 whenever it is read back.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from finmon.core.clock import Clock
from finmon.core.errors import IntegrityError, NotFoundError, ValidationError
from finmon.monitor.rules.names import Names
from finmon.monitor.rules.ruleset import RuleSet

Action = Literal["save", "activate", "reject"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ruleset_versions (
        revision INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        declared_version TEXT NOT NULL,
        text TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        author TEXT NOT NULL,
        comment TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ruleset_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        author TEXT NOT NULL,
        action TEXT NOT NULL,
        revision INTEGER,
        previous INTEGER,
        comment TEXT NOT NULL,
        diff TEXT,
        detail TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ruleset_active (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        revision INTEGER NOT NULL REFERENCES ruleset_versions(revision)
    )""",
)
_VERSION_COLUMNS = "revision, name, declared_version, text, sha256, author, comment, created_at"


@dataclass(frozen=True, slots=True)
class RuleDiff:
    """Rule ids added, removed and changed from one rule set to another."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
        }


def diff(old: RuleSet | None, new: RuleSet) -> RuleDiff:
    """Per-rule differences (a rule is changed when any of its fields differs)."""
    before = {} if old is None else {r.id: r.signature() for r in old.rules}
    after = {r.id: r.signature() for r in new.rules}
    return RuleDiff(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
    )


@dataclass(frozen=True, slots=True)
class RuleSetVersion:
    """One stored revision (``revision`` is the store's number, 1, 2, ...)."""

    revision: int
    name: str
    declared_version: str
    text: str
    sha256: str
    author: str
    comment: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "name": self.name,
            "declared_version": self.declared_version,
            "sha256": self.sha256,
            "author": self.author,
            "comment": self.comment,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One entry of the history: a save, an activation (deploy or rollback) or a refusal."""

    at: datetime
    author: str
    action: Action
    revision: int | None
    previous: int | None
    comment: str
    diff: RuleDiff | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "author": self.author,
            "action": self.action,
            "revision": self.revision,
            "previous": self.previous,
            "comment": self.comment,
            "diff": None if self.diff is None else self.diff.to_dict(),
            "detail": self.detail,
        }


class RuleStore:
    """Versioned rule sets in one SQLite file (e.g. ``<data_dir>/monitor/rules.db``)."""

    def __init__(self, path: Path, clock: Clock, *, names: Names | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self.names = names
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._cache: dict[str, RuleSet] = {}
        with self._transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    @classmethod
    def for_data_dir(cls, data_dir: Path, clock: Clock, *, names: Names | None = None) -> RuleStore:
        return cls(data_dir / "monitor" / "rules.db", clock, names=names)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RuleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------

    def save(
        self, text: str, author: str, comment: str = "", *, activate: bool = True
    ) -> RuleSetVersion:
        """Validate and store ``text`` as a new revision; by default it becomes active.

        Raises the rule set's :class:`~finmon.monitor.rules.RuleSetError` when
        it does not validate: nothing is stored but the refusal, and the active
        revision does not change.
        """
        _require(author, "author")
        try:
            ruleset = self._compile(text)
        except ValidationError as exc:
            self._record("reject", author, None, comment, None, exc.message)
            raise
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock, self._transaction() as conn:
            previous = self._active_revision(conn)
            old = self._ruleset_of(conn, previous)
            cursor = conn.execute(
                "INSERT INTO ruleset_versions (name, declared_version, text, sha256, author,"
                " comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ruleset.name, str(ruleset.version), text, sha, author, comment, self._now()),
            )
            revision = int(cursor.lastrowid or 0)
            changes = diff(old, ruleset)
            self._insert_change(conn, "save", author, revision, previous, comment, changes, "")
            if activate:
                self._set_active(conn, revision)
                self._insert_change(
                    conn, "activate", author, revision, previous, comment, changes, "deploy"
                )
            self._cache[sha] = ruleset
        return self.get(revision)

    def activate(self, revision: int, author: str, comment: str = "") -> RuleSetVersion:
        """Make ``revision`` the active rule set (a deploy, or a rollback to an older one).

        The stored text is validated again against today's names: a revision
        that no longer compiles is refused and the active one stays.
        """
        _require(author, "author")
        version = self.get(revision)
        try:
            ruleset = self._compile(version.text)
        except ValidationError as exc:
            self._record("reject", author, revision, comment, None, exc.message)
            raise
        with self._lock, self._transaction() as conn:
            previous = self._active_revision(conn)
            old = self._ruleset_of(conn, previous)
            kind = "rollback" if previous is not None and revision < previous else "deploy"
            self._set_active(conn, revision)
            self._insert_change(
                conn, "activate", author, revision, previous, comment, diff(old, ruleset), kind
            )
        return version

    # -- reading ---------------------------------------------------------------

    def get(self, revision: int) -> RuleSetVersion:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM ruleset_versions WHERE revision = ?",  # noqa: S608
                (revision,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no rule-set revision {revision}", field="revision")
        return _version(row)

    def active(self) -> RuleSetVersion | None:
        """The active revision, or None before the first activation."""
        with self._lock:
            revision = self._active_revision(self._conn)
        return None if revision is None else self.get(revision)

    def active_ruleset(self) -> RuleSet | None:
        """The active revision compiled (cached by sha256)."""
        version = self.active()
        return None if version is None else self._compile(version.text)

    def versions(self) -> list[RuleSetVersion]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM ruleset_versions ORDER BY revision"  # noqa: S608
            ).fetchall()
        return [_version(row) for row in rows]

    def history(self) -> list[RuleChange]:
        """Every save, activation and refusal, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT at, author, action, revision, previous, comment, diff, detail"
                " FROM ruleset_changes ORDER BY id"
            ).fetchall()
        return [
            RuleChange(
                at=datetime.fromisoformat(at),
                author=author,
                action=action,
                revision=revision,
                previous=previous,
                comment=comment,
                diff=None if changes is None else _diff_of(changes),
                detail=detail,
            )
            for at, author, action, revision, previous, comment, changes, detail in rows
        ]

    def diff(self, old: int, new: int) -> RuleDiff:
        """Per-rule differences between two stored revisions."""
        return diff(self._compile(self.get(old).text), self._compile(self.get(new).text))

    # -- internals -------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _compile(self, text: str) -> RuleSet:
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        cached = self._cache.get(sha)
        if cached is None:
            cached = RuleSet.from_yaml(text, names=self.names)
            self._cache[sha] = cached
        return cached

    def _ruleset_of(self, conn: sqlite3.Connection, revision: int | None) -> RuleSet | None:
        if revision is None:
            return None
        row = conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM ruleset_versions WHERE revision = ?",  # noqa: S608
            (revision,),
        ).fetchone()
        try:
            return self._compile(_version(row).text)
        except ValidationError:
            return None  # an old revision that no longer compiles: diff against nothing

    @staticmethod
    def _active_revision(conn: sqlite3.Connection) -> int | None:
        row = conn.execute("SELECT revision FROM ruleset_active WHERE id = 1").fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _set_active(conn: sqlite3.Connection, revision: int) -> None:
        conn.execute(
            "INSERT INTO ruleset_active (id, revision) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET revision = excluded.revision",
            (revision,),
        )

    def _record(
        self,
        action: Action,
        author: str,
        revision: int | None,
        comment: str,
        changes: RuleDiff | None,
        detail: str,
    ) -> None:
        with self._lock, self._transaction() as conn:
            previous = self._active_revision(conn)
            self._insert_change(conn, action, author, revision, previous, comment, changes, detail)

    def _insert_change(
        self,
        conn: sqlite3.Connection,
        action: Action,
        author: str,
        revision: int | None,
        previous: int | None,
        comment: str,
        changes: RuleDiff | None,
        detail: str,
    ) -> None:
        conn.execute(
            "INSERT INTO ruleset_changes (at, author, action, revision, previous, comment,"
            " diff, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._now(),
                author,
                action,
                revision,
                previous,
                comment,
                None if changes is None else orjson.dumps(changes.to_dict()).decode(),
                detail,
            ),
        )

    def _now(self) -> str:
        return self.clock.now().isoformat()


def _version(row: tuple[Any, ...]) -> RuleSetVersion:
    revision, name, declared, text, sha, author, comment, created_at = row
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
        raise IntegrityError(
            f"rule-set revision {revision} does not match its sha256", field="revision"
        )
    return RuleSetVersion(
        revision=int(revision),
        name=name,
        declared_version=declared,
        text=text,
        sha256=sha,
        author=author,
        comment=comment,
        created_at=datetime.fromisoformat(created_at),
    )


def _diff_of(stored: str) -> RuleDiff:
    data = orjson.loads(stored)
    return RuleDiff(
        added=tuple(data["added"]), removed=tuple(data["removed"]), changed=tuple(data["changed"])
    )


def _require(value: str, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} is required", field=field)


__all__ = ["RuleChange", "RuleDiff", "RuleSetVersion", "RuleStore", "diff"]
