"""Users: username, role, argon2id hash, encrypted TOTP secret, failed-login history.

The TOTP secret is stored encrypted by the :class:`~finmon.api.crypto.Keyring`
(AES-256-GCM, bound to the user id) and returned in clear exactly once, when
the user is created, for enrolment in an authenticator app.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

from finmon.api.auth.passwords import hash_password
from finmon.api.crypto import Keyring
from finmon.api.db import Database
from finmon.api.rbac import HUMAN_ROLES, Role
from finmon.core.clock import Clock
from finmon.core.errors import ConflictError, NotFoundError, ValidationError

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    last_totp_step INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    username TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures (username, at);
"""


_COLUMNS = "SELECT id, username, role, disabled, locked_until, created_at FROM users"
_SELECT_BY_ID = _COLUMNS + " WHERE id = ?"
_SELECT_BY_USERNAME = _COLUMNS + " WHERE username = ?"


@dataclass(frozen=True, slots=True)
class User:
    """A user as stored, without secrets."""

    id: str
    username: str
    role: Role
    disabled: bool
    locked_until: datetime | None
    created_at: str


def check_password_policy(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )


class UserStore:
    """CRUD for users plus the lockout bookkeeping the login flow needs."""

    def __init__(self, db: Database, keyring: Keyring, clock: Clock) -> None:
        self._db = db
        self._keyring = keyring
        self._clock = clock
        db.script(_SCHEMA)

    def create(self, username: str, role: Role, password: str) -> tuple[User, str]:
        """A new user and its TOTP secret (base32), which is never shown again."""
        if not USERNAME_RE.match(username):
            raise ValidationError("a username is 3-64 of a-z, 0-9, '_', '.', '-'", field="username")
        if role not in HUMAN_ROLES:
            raise ValidationError(
                f"role {role.value} is for machine clients: create an API key", field="role"
            )
        check_password_policy(password)
        user_id = f"usr_{secrets.token_hex(8)}"
        secret = pyotp.random_base32()
        sealed = self._keyring.encrypt(secret, f"users.totp:{user_id}")
        now = self._clock.now().isoformat()
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise ConflictError(f"user {username!r} already exists", field="username")
            conn.execute(
                "INSERT INTO users (id, username, role, password_hash, totp_secret, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, username, role.value, hash_password(password), sealed, now),
            )
        return self.get(user_id), secret

    def _one(self, where: str, value: str) -> User | None:
        sql = _SELECT_BY_ID if where == "id" else _SELECT_BY_USERNAME
        rows = self._db.query(sql, (value,))
        if not rows:
            return None
        r = rows[0]
        locked = datetime.fromisoformat(r[4]) if r[4] else None
        return User(r[0], r[1], Role(r[2]), bool(r[3]), locked, r[5])

    def get(self, user_id: str) -> User:
        user = self._one("id", user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id!r}", field="user_id")
        return user

    def by_username(self, username: str) -> User | None:
        return self._one("username", username)

    def all(self) -> list[User]:
        ids = self._db.query("SELECT id FROM users ORDER BY username")
        return [self.get(str(r[0])) for r in ids]

    def update(self, user_id: str, *, role: Role | None, disabled: bool | None) -> User:
        self.get(user_id)
        if role is not None and role not in HUMAN_ROLES:
            raise ValidationError(f"role {role.value} is for API keys", field="role")
        with self._db.transaction() as conn:
            if role is not None:
                conn.execute("UPDATE users SET role = ? WHERE id = ?", (role.value, user_id))
            if disabled is not None:
                conn.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))
        return self.get(user_id)

    def password_hash(self, user_id: str) -> str:
        return str(self._db.query("SELECT password_hash FROM users WHERE id = ?", (user_id,))[0][0])

    def totp_secret(self, user_id: str) -> str:
        sealed = self._db.query("SELECT totp_secret FROM users WHERE id = ?", (user_id,))[0][0]
        return self._keyring.decrypt(str(sealed), f"users.totp:{user_id}")

    def claim_totp_step(self, user_id: str, step: int) -> bool:
        """Record a used TOTP time step; False if it (or a later one) was used: a replay."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE users SET last_totp_step = ? WHERE id = ? AND last_totp_step < ?",
                (step, user_id, step),
            )
            return cur.rowcount == 1

    # -- lockout -------------------------------------------------------------

    def record_failure(
        self, username: str, window: timedelta, threshold: int, lock: timedelta
    ) -> bool:
        """Count a failed login; lock the user once the window holds ``threshold``; True if so."""
        now = self._clock.now()
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE at < ?", ((now - window).isoformat(),))
            conn.execute("INSERT INTO login_failures VALUES (?, ?)", (username, now.isoformat()))
            count = conn.execute(
                "SELECT count(*) FROM login_failures WHERE username = ?", (username,)
            ).fetchone()[0]
            if count < threshold:
                return False
            conn.execute(
                "UPDATE users SET locked_until = ? WHERE username = ?",
                ((now + lock).isoformat(), username),
            )
            conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))
        return True

    def clear_failures(self, username: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))
            conn.execute("UPDATE users SET locked_until = NULL WHERE username = ?", (username,))

    def is_locked(self, user: User) -> bool:
        return user.locked_until is not None and user.locked_until > self._clock.now()


__all__ = ["MIN_PASSWORD", "USERNAME_RE", "User", "UserStore", "check_password_policy"]
