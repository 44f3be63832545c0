"""Envelope encryption: round trips, binding to its place, tampering, key rotation, key files."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from finmon.api.crypto import Kek, Keyring
from finmon.api.db import Database
from finmon.api.keyfiles import load_or_create_key
from finmon.core.clock import SimulatedClock
from finmon.core.errors import IntegrityError, ValidationError


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "auth.db")


def test_round_trip_and_fresh_nonces(db: Database) -> None:
    ring = Keyring(db, Kek(secrets.token_bytes(32)), SimulatedClock())
    a, b = (
        ring.encrypt("4111111111111111", "cards.pan"),
        ring.encrypt("4111111111111111", "cards.pan"),
    )
    assert a != b
    assert "4111" not in a
    assert ring.decrypt(a, "cards.pan") == "4111111111111111"


def test_ciphertext_is_bound_to_its_place_and_tamper_evident(db: Database) -> None:
    ring = Keyring(db, Kek(secrets.token_bytes(32)), SimulatedClock())
    token = ring.encrypt("secret", "users.totp:usr_1")
    with pytest.raises(IntegrityError):
        ring.decrypt(token, "users.totp:usr_2")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(IntegrityError):
        ring.decrypt(flipped, "users.totp:usr_1")
    with pytest.raises(IntegrityError):
        ring.decrypt("plain text", "users.totp:usr_1")


def test_data_key_rotation_keeps_old_values_readable(db: Database) -> None:
    ring = Keyring(db, Kek(secrets.token_bytes(32)), SimulatedClock())
    old = ring.encrypt("before", "f")
    ring.rotate_data_key()
    new = ring.encrypt("after", "f")
    assert old.split(":")[2] != new.split(":")[2]
    assert (ring.decrypt(old, "f"), ring.decrypt(new, "f")) == ("before", "after")


def test_kek_rotation_rewraps_without_touching_data(db: Database) -> None:
    old_kek, new_kek = Kek(secrets.token_bytes(32)), Kek(secrets.token_bytes(32))
    token = Keyring(db, old_kek, SimulatedClock()).encrypt("value", "f")
    during = Keyring(db, new_kek, SimulatedClock(), previous=[old_kek])
    assert during.decrypt(token, "f") == "value"  # no downtime: both KEKs accepted
    assert during.rewrap() == 1
    after = Keyring(db, new_kek, SimulatedClock())
    assert after.decrypt(token, "f") == "value"
    with pytest.raises(IntegrityError):
        Keyring(db, old_kek, SimulatedClock()).decrypt(token, "f")


def test_kek_must_be_256_bits() -> None:
    with pytest.raises(ValidationError):
        Kek(b"short")
    with pytest.raises(ValidationError):
        Kek.from_base64("not base64!")


def test_key_files_are_0600_and_refused_when_readable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.key"
    key = load_or_create_key(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_or_create_key(path) == key
    os.chmod(path, 0o644)
    with pytest.raises(ValidationError, match="readable by others"):
        load_or_create_key(path)


def test_auth_db_is_private(tmp_path: Path) -> None:
    Database(tmp_path / "auth.db")
    assert oct((tmp_path / "auth.db").stat().st_mode & 0o777) == "0o600"
