"""Webhook endpoints: where alerts will be POSTed, and the secret that signs them.

Storage only for now: delivery (HMAC-SHA256 signatures with the secret,
retries, the alert payloads) arrives with the alerts issue. Secrets are
encrypted at rest by the :class:`~finmon.api.crypto.Keyring` and shown once,
on registration and on rotation; a rotation keeps the previous secret for a
grace period so receivers can switch without dropping a delivery.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from finmon.api.crypto import Keyring
from finmon.api.db import Database
from finmon.core.clock import Clock
from finmon.core.errors import NotFoundError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    rotated_at TEXT
)
"""


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    events: list[str]
    description: str
    created_by: str
    created_at: str
    rotated_at: str | None


class WebhookStore:
    def __init__(self, db: Database, keyring: Keyring, clock: Clock) -> None:
        self._db = db
        self._keyring = keyring
        self._clock = clock
        db.script(_SCHEMA)

    def register(
        self, url: str, events: list[str], description: str, created_by: str
    ) -> tuple[Webhook, str]:
        """A new endpoint and its signing secret (shown once)."""
        hook_id = f"whk_{secrets.token_hex(8)}"
        secret = f"whsec_{secrets.token_urlsafe(32)}"
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO webhooks VALUES (?, ?, ?, ?, ?, NULL, ?, ?, NULL)",
                (
                    hook_id,
                    url,
                    json.dumps(events),
                    description,
                    self._keyring.encrypt(secret, f"webhooks.secret:{hook_id}"),
                    created_by,
                    self._clock.now().isoformat(),
                ),
            )
        return self.get(hook_id), secret

    def get(self, hook_id: str) -> Webhook:
        rows = self._db.query(
            "SELECT id, url, events, description, created_by, created_at, rotated_at"
            " FROM webhooks WHERE id = ?",
            (hook_id,),
        )
        if not rows:
            raise NotFoundError(f"no webhook {hook_id!r}", field="webhook_id")
        r = rows[0]
        return Webhook(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6])

    def all(self) -> list[Webhook]:
        return [self.get(str(r[0])) for r in self._db.query("SELECT id FROM webhooks ORDER BY id")]

    def rotate(self, hook_id: str) -> tuple[Webhook, str]:
        """A new secret; the previous one stays valid for receivers until the next rotation."""
        self.get(hook_id)
        secret = f"whsec_{secrets.token_urlsafe(32)}"
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE webhooks SET previous_secret = secret, secret = ?, rotated_at = ?"
                " WHERE id = ?",
                (
                    self._keyring.encrypt(secret, f"webhooks.secret:{hook_id}"),
                    self._clock.now().isoformat(),
                    hook_id,
                ),
            )
        return self.get(hook_id), secret

    def secrets_of(self, hook_id: str) -> list[str]:
        """The current and previous secrets, decrypted: what a delivery signs with."""
        rows = self._db.query(
            "SELECT secret, previous_secret FROM webhooks WHERE id = ?", (hook_id,)
        )
        if not rows:
            raise NotFoundError(f"no webhook {hook_id!r}", field="webhook_id")
        aad = f"webhooks.secret:{hook_id}"
        return [self._keyring.decrypt(str(v), aad) for v in rows[0] if v is not None]

    def delete(self, hook_id: str) -> None:
        self.get(hook_id)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,))


__all__ = ["Webhook", "WebhookStore"]
