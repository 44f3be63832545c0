"""Checkpoint signing keys: creation, loading, ids, and refusing the wrong kind of file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from finmon.core.errors import ValidationError
from finmon.events.signing import (
    Signer,
    key_id_of,
    load_public_key,
    public_path,
    public_pem,
    verify_signature,
)


def pem_of(signer: Signer) -> bytes:
    return signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_load_or_create_creates_a_private_key_0600_and_a_public_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "log-signing.key"
    signer = Signer.load_or_create(path)
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    pub = public_path(path)
    assert pub == tmp_path / "keys" / "log-signing.key.pub"
    assert pub.read_bytes() == public_pem(signer.public_key)
    assert b"PRIVATE" not in pub.read_bytes()


def test_loading_again_gives_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    created = Signer.load_or_create(path)
    before = path.read_bytes()
    loaded = Signer.load_or_create(path)
    assert loaded.key_id == created.key_id
    assert path.read_bytes() == before
    assert Signer.load(path).key_id == created.key_id
    message = b"checkpoint"
    assert verify_signature(created.public_key, message, loaded.sign(message))


def test_key_id_is_short_stable_and_distinct() -> None:
    one, two = Signer.generate(), Signer.generate()
    assert len(one.key_id) == 16
    assert set(one.key_id) <= set("0123456789abcdef")
    assert one.key_id == key_id_of(one.public_key)
    assert one.key_id != two.key_id


def test_repr_holds_no_key_material(tmp_path: Path) -> None:
    signer = Signer.load_or_create(tmp_path / "k.key")
    text = repr(signer)
    assert text == f"Signer(key_id={signer.key_id!r})"
    pem = pem_of(signer).decode()
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    assert body not in text
    raw = signer.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert raw.hex() not in text
    assert "PRIVATE" not in str(signer)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
)
def test_a_non_pem_key_file_is_a_settings_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    for load in (Signer.load, Signer.load_or_create):
        with pytest.raises(ValidationError) as caught:
            load(path)
        assert caught.value.field == "signing_key_path"
        assert str(path) in caught.value.message
    assert path.read_bytes() == content  # never overwritten


def test_a_non_ed25519_key_file_is_a_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "ec.key"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValidationError, match="not an Ed25519 key") as caught:
        Signer.load_or_create(path)
    assert caught.value.field == "signing_key_path"


def test_verify_signature_true_and_false() -> None:
    signer, other = Signer.generate(), Signer.generate()
    signature = signer.sign(b"message")
    assert verify_signature(signer.public_key, b"message", signature)
    assert not verify_signature(signer.public_key, b"messagf", signature)
    assert not verify_signature(other.public_key, b"message", signature)
    assert not verify_signature(signer.public_key, b"message", bytes(64))
    assert not verify_signature(signer.public_key, b"message", signature[:-1])


def test_load_public_key_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    signer = Signer.load_or_create(path)
    public = load_public_key(public_path(path))
    assert key_id_of(public) == signer.key_id
    assert verify_signature(public, b"m", signer.sign(b"m"))


def test_load_public_key_refuses_other_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pub"
    garbage.write_bytes(b"nope")
    with pytest.raises(ValidationError) as caught:
        load_public_key(garbage)
    assert caught.value.field == "public_key"
    ec = tmp_path / "ec.pub"
    ec.write_bytes(
        generate_private_key(SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValidationError, match="not an Ed25519 public key") as wrong_kind:
        load_public_key(ec)
    assert wrong_kind.value.field == "public_key"
    private = tmp_path / "private.key"
    Signer.load_or_create(private)
    with pytest.raises(ValidationError):
        load_public_key(private)
