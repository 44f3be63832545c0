"""JWT access tokens (HS256, minutes) and rotating refresh tokens (hours), with revocation.

Access tokens are stateless except for a deny-list of ``jti`` revoked before
they expire (logout). Refresh tokens are JWTs too, each one usable once: a
refresh returns a new pair in the same *family*; presenting an already used
refresh token means it was stolen (or replayed), so the whole family is
revoked and its holder must log in again (RFC 6819 §5.2.2.3).

Expiry is checked against the injected :class:`~finmon.core.clock.Clock`, not
the machine's, so tests and simulations control token lifetimes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from finmon.api.db import Database
from finmon.core.clock import Clock
from finmon.core.errors import UnauthorizedError

ALGORITHM = "HS256"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS refresh_tokens (
    jti TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS revoked_families (family TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revoked_access (jti TEXT PRIMARY KEY, expires_at TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    family: str


class TokenService:
    """Issues, checks, rotates and revokes tokens."""

    def __init__(
        self,
        db: Database,
        key: bytes,
        clock: Clock,
        *,
        issuer: str,
        access_ttl: int,
        refresh_ttl: int,
    ) -> None:
        self._db = db
        self._key = key
        self._clock = clock
        self._issuer = issuer
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        db.script(_SCHEMA)

    def _encode(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def issue(self, user_id: str, role: str, family: str | None = None) -> TokenPair:
        """A new access + refresh pair; ``family`` continues a refresh chain."""
        now = self._clock.now()
        family = family or secrets.token_hex(12)
        access_jti, refresh_jti = secrets.token_hex(12), secrets.token_hex(12)
        base = {"iss": self._issuer, "sub": user_id, "iat": int(now.timestamp())}
        access = self._encode(
            base
            | {
                "typ": "access",
                "role": role,
                "jti": access_jti,
                "fam": family,
                "exp": int((now + timedelta(seconds=self._access_ttl)).timestamp()),
            }
        )
        refresh_exp = now + timedelta(seconds=self._refresh_ttl)
        refresh = self._encode(
            base
            | {
                "typ": "refresh",
                "jti": refresh_jti,
                "fam": family,
                "exp": int(refresh_exp.timestamp()),
            }
        )
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, 0)",
                (refresh_jti, family, user_id, refresh_exp.isoformat()),
            )
        return TokenPair(access, refresh, self._access_ttl, family)

    def decode(self, token: str, typ: str) -> dict[str, Any]:
        """The claims of a valid, unexpired, unrevoked token of type ``typ``."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "require": ["exp", "iat", "sub", "jti", "typ", "fam"],
                },
            )
        except jwt.PyJWTError:
            raise UnauthorizedError("invalid token", field="authorization") from None
        if claims["typ"] != typ:
            raise UnauthorizedError(f"not an {typ} token", field="authorization")
        if not isinstance(claims["exp"], int) or claims["exp"] <= self._clock.now().timestamp():
            raise UnauthorizedError("token expired", field="authorization", code="token_expired")
        if self._revoked(claims):
            raise UnauthorizedError("token revoked", field="authorization", code="token_revoked")
        return claims

    def _revoked(self, claims: dict[str, Any]) -> bool:
        family = self._db.query("SELECT 1 FROM revoked_families WHERE family = ?", (claims["fam"],))
        if family:
            return True
        if claims["typ"] == "access":
            return bool(
                self._db.query("SELECT 1 FROM revoked_access WHERE jti = ?", (claims["jti"],))
            )
        return False

    def refresh(self, refresh_token: str, role_of: Any) -> tuple[TokenPair, str]:
        """Exchange a refresh token for a new pair; a reused one revokes its family.

        ``role_of(user_id)`` gives the user's current role (None if disabled),
        so a role change or a disable takes effect at the next refresh.
        """
        claims = self.decode(refresh_token, "refresh")
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE refresh_tokens SET used = 1 WHERE jti = ? AND used = 0", (claims["jti"],)
            )
            reused = cur.rowcount != 1
        if reused:
            self.revoke_family(claims["fam"])
            raise UnauthorizedError(
                "refresh token already used; the session is revoked",
                field="refresh_token",
                code="token_reused",
            )
        role = role_of(claims["sub"])
        if role is None:
            self.revoke_family(claims["fam"])
            raise UnauthorizedError("account disabled", field="refresh_token")
        return self.issue(claims["sub"], role, claims["fam"]), claims["sub"]

    def revoke_family(self, family: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO revoked_families VALUES (?, ?)",
                (family, self._clock.now().isoformat()),
            )

    def revoke_access(self, jti: str, expires_at: datetime) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO revoked_access VALUES (?, ?)", (jti, expires_at.isoformat())
            )


__all__ = ["ALGORITHM", "TokenPair", "TokenService"]
