"""AES-256-GCM envelope encryption of sensitive fields at rest.

Each value is encrypted with a random 256-bit *data key*; data keys are stored
only wrapped (AES-256-GCM again) by the *key-encryption key* (KEK), which lives
outside the database, in a 0600 file or an environment variable. Rotating the
KEK re-wraps the handful of data keys, not the data, so it is instant and
needs no downtime: during a rotation the keyring holds the old KEK as well and
unwraps with whichever wrapped each key. Rotating the data key starts a new
active key; values under older keys stay readable.

Ciphertexts are ``enc:v1:<data key id>:<base64(nonce || ciphertext+tag)>`` and
bind an *associated data* string (``users.totp_secret``), so a value copied to
another column does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from finmon.api.db import Database
from finmon.core.clock import Clock
from finmon.core.errors import IntegrityError, ValidationError

_PREFIX = "enc:v1:"
_NONCE = 12
_SCHEMA = """
CREATE TABLE IF NOT EXISTS data_keys (
    id TEXT PRIMARY KEY,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(frozen=True, slots=True)
class Kek:
    """A key-encryption key and its public id (a hash prefix, safe to store)."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValidationError("a key-encryption key is 32 bytes (AES-256)", field="kek")

    @property
    def id(self) -> str:
        return hashlib.sha256(b"finmon.kek" + self.key).hexdigest()[:16]

    @classmethod
    def from_base64(cls, text: str) -> Kek:
        try:
            return cls(base64.b64decode(text, validate=True))
        except ValueError:
            raise ValidationError("the KEK must be base64 of 32 bytes", field="kek") from None

    def wrap(self, data_key: bytes, key_id: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, key_id.encode())

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], key_id.encode())
        except InvalidTag:
            raise IntegrityError(f"data key {key_id} does not unwrap", field="kek") from None


class Keyring:
    """Data keys wrapped by the KEK, in a SQLite table; encrypts and decrypts fields.

    Args:
        db: the database holding ``data_keys`` (the API's auth.db).
        kek: the current key-encryption key.
        previous: older KEKs still accepted for unwrapping during a rotation.
    """

    def __init__(self, db: Database, kek: Kek, clock: Clock, previous: Sequence[Kek] = ()) -> None:
        self._db = db
        self._keks = {k.id: k for k in (kek, *previous)}
        self._kek = kek
        self._clock = clock
        self._keys: dict[str, bytes] = {}
        db.script(_SCHEMA)
        if self._active_id() is None:
            self.rotate_data_key()

    def _active_id(self) -> str | None:
        rows = self._db.query("SELECT id FROM data_keys WHERE active = 1")
        return str(rows[0][0]) if rows else None

    def _data_key(self, key_id: str) -> bytes:
        cached = self._keys.get(key_id)
        if cached is not None:
            return cached
        rows = self._db.query("SELECT kek_id, wrapped FROM data_keys WHERE id = ?", (key_id,))
        if not rows:
            raise IntegrityError(f"unknown data key {key_id}", field="data_key")
        row = rows[0]
        kek = self._keks.get(str(row[0]))
        if kek is None:
            raise IntegrityError(f"data key {key_id} is wrapped by an unknown KEK", field="kek")
        key = kek.unwrap(bytes(row[1]), key_id)
        self._keys[key_id] = key
        return key

    def rotate_data_key(self) -> str:
        """Start a new active data key; older ones keep decrypting. Returns its id."""
        key_id = secrets.token_hex(8)
        key = AESGCM.generate_key(bit_length=256)
        with self._db.transaction() as conn:
            conn.execute("UPDATE data_keys SET active = 0")
            conn.execute(
                "INSERT INTO data_keys VALUES (?, ?, ?, ?, 1)",
                (key_id, self._kek.id, self._kek.wrap(key, key_id), self._clock.now().isoformat()),
            )
        self._keys[key_id] = key
        return key_id

    def rewrap(self) -> int:
        """Re-wrap every data key under the current KEK (after a KEK rotation); the count."""
        rows = self._db.query("SELECT id FROM data_keys WHERE kek_id != ?", (self._kek.id,))
        ids = [str(r[0]) for r in rows]
        keys = {key_id: self._data_key(key_id) for key_id in ids}
        with self._db.transaction() as conn:
            for key_id in ids:
                wrapped = self._kek.wrap(keys[key_id], key_id)
                conn.execute(
                    "UPDATE data_keys SET kek_id = ?, wrapped = ? WHERE id = ?",
                    (self._kek.id, wrapped, key_id),
                )
        return len(ids)

    def encrypt(self, plaintext: str, aad: str) -> str:
        """``plaintext`` under the active data key, bound to ``aad``."""
        key_id = self._active_id()
        assert key_id is not None  # noqa: S101 - created in __init__
        nonce = secrets.token_bytes(_NONCE)
        sealed = AESGCM(self._data_key(key_id)).encrypt(nonce, plaintext.encode(), aad.encode())
        return f"{_PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, aad: str) -> str:
        """The plaintext of :meth:`encrypt` output; IntegrityError if tampered or misplaced."""
        if not token.startswith(_PREFIX):
            raise IntegrityError("not an encrypted value", field=aad)
        key_id, _, body = token[len(_PREFIX) :].partition(":")
        try:
            blob = base64.b64decode(body, validate=True)
        except ValueError:
            raise IntegrityError("encrypted value is not base64", field=aad) from None
        try:
            key = self._data_key(key_id)
            plain = AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], aad.encode())
        except (InvalidTag, ValueError):
            raise IntegrityError("encrypted value fails authentication", field=aad) from None
        return plain.decode()


__all__ = ["Kek", "Keyring"]
