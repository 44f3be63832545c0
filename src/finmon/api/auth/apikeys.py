"""API keys for machine clients: ``fmk_<id>_<secret>``, stored as SHA-256 of the secret.

The secret is 256 random bits, so a fast hash is as safe at rest as a slow one
(nobody can enumerate 2^256 candidates) and keeps every request cheap. A key
carries a role and optional scopes (a subset of the role's permissions);
rotating issues a new secret under the same id and name and revokes the old
one at once; revoked and expired keys are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from finmon.api.db import Database
from finmon.api.rbac import Role, permissions_of
from finmon.core.clock import Clock
from finmon.core.errors import NotFoundError, ValidationError

PREFIX = "fmk_"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
)
"""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's metadata (never its secret)."""

    id: str
    name: str
    role: Role
    scopes: frozenset[str]
    created_by: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        db.script(_SCHEMA)

    def create(
        self,
        name: str,
        role: Role,
        scopes: frozenset[str],
        created_by: str,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its plaintext, shown once."""
        unknown = sorted(scopes - permissions_of(role))
        if unknown:
            raise ValidationError(
                f"role {role.value} does not hold {', '.join(unknown)}", field="scopes"
            )
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    key_id,
                    name,
                    role.value,
                    json.dumps(sorted(scopes)),
                    _digest(secret),
                    created_by,
                    self._clock.now().isoformat(),
                    expires_at.isoformat() if expires_at else None,
                ),
            )
        return self.get(key_id), f"{PREFIX}{key_id}_{secret}"

    def get(self, key_id: str) -> ApiKey:
        rows = self._db.query(
            "SELECT id, name, role, scopes, created_by, created_at, expires_at, revoked_at"
            " FROM api_keys WHERE id = ?",
            (key_id,),
        )
        if not rows:
            raise NotFoundError(f"no API key {key_id!r}", field="key_id")
        r = rows[0]
        return ApiKey(r[0], r[1], Role(r[2]), frozenset(json.loads(r[3])), r[4], r[5], r[6], r[7])

    def all(self) -> list[ApiKey]:
        return [self.get(str(r[0])) for r in self._db.query("SELECT id FROM api_keys ORDER BY id")]

    def verify(self, presented: str) -> ApiKey | None:
        """The live key ``presented`` proves, or None (unknown, wrong, revoked, expired)."""
        if not presented.startswith(PREFIX):
            return None
        key_id, sep, secret = presented[len(PREFIX) :].partition("_")
        if not sep or len(key_id) != 16:
            return None
        rows = self._db.query(
            "SELECT secret_hash, revoked_at, expires_at FROM api_keys WHERE id = ?", (key_id,)
        )
        if not rows or not hmac.compare_digest(str(rows[0][0]), _digest(secret)):
            return None
        if rows[0][1] is not None:
            return None
        expires = rows[0][2]
        if expires is not None and datetime.fromisoformat(expires) <= self._clock.now():
            return None
        return self.get(key_id)

    def rotate(self, key_id: str) -> tuple[ApiKey, str]:
        """A new secret for a live key; the old secret stops working now."""
        key = self.get(key_id)
        if key.revoked_at is not None:
            raise NotFoundError(f"API key {key_id!r} is revoked", field="key_id")
        secret = secrets.token_urlsafe(32)
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE api_keys SET secret_hash = ? WHERE id = ?", (_digest(secret), key_id)
            )
        return self.get(key_id), f"{PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        self.get(key_id)
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                (self._clock.now().isoformat(), key_id),
            )
        return self.get(key_id)


__all__ = ["PREFIX", "ApiKey", "ApiKeyStore"]
