"""Ed25519 keys that sign the log's checkpoints.

The private key lives in a file outside the log database (by default
``<data_dir>/keys/log-signing.key``, mode 0600), so someone who can rewrite the
database still cannot forge a checkpoint. The public key is written beside it
(``.pub``) for auditors; a checkpoint names the key that signed it by
``key_id`` (the first 16 hex digits of SHA-256 of the raw public key), which
lets keys rotate while old checkpoints stay verifiable.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from finmon.core.errors import ValidationError


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """A private key with its id; signs checkpoint statements."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def __repr__(self) -> str:  # never print key material
        return f"Signer(key_id={self.key_id!r})"

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """Load the key at ``path``; create it (0600, with a ``.pub`` beside it) if absent."""
        if path.exists():
            return cls.load(path)
        signer = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = signer.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: two processes racing to create the key must not both win.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls.load(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        public_path(path).write_bytes(public_pem(signer.public_key))
        return signer

    @classmethod
    def load(cls, path: Path) -> Signer:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                f"signing key {path} is not a PEM private key: {exc}", field="signing_key_path"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValidationError(
                f"signing key {path} is not an Ed25519 key", field="signing_key_path"
            )
        return cls(key)


def public_path(private_path: Path) -> Path:
    return private_path.with_suffix(private_path.suffix + ".pub")


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read a PEM public key (an auditor's copy of ``.pub``)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            f"{path} is not a PEM public key: {exc}", field="public_key"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError(f"{path} is not an Ed25519 public key", field="public_key")
    return key


def verify_signature(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s signature of ``message``."""
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


__all__ = [
    "Signer",
    "key_id_of",
    "load_public_key",
    "public_path",
    "public_pem",
    "verify_signature",
]
