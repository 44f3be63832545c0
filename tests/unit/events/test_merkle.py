"""RFC 6962 Merkle trees and inclusion proofs, checked against an independent implementation."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from finmon.core.errors import ValidationError
from finmon.events.merkle import (
    GENESIS_HASH,
    InclusionProof,
    inclusion_path,
    merkle_root,
    node_hash,
    record_hash,
    root_from_path,
    verify_inclusion,
)
from finmon.testing.merkle_oracle import chain, honest_proof, reference_path, reference_root

MAX_SIZE = 70


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# -- hashing ---------------------------------------------------------------------


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = sha(b"l"), sha(b"r")
    assert node_hash(left, right) == sha(b"\x01" + left + right)
    assert record_hash(left, b"body") == sha(b"\x00" + left + b"body")
    assert record_hash(left, right) != node_hash(left, right)
    assert node_hash(left, right) != node_hash(right, left)


def test_single_leaf_tree_is_the_leaf() -> None:
    leaf = sha(b"only")
    assert merkle_root([leaf]) == leaf
    assert inclusion_path([leaf], 0) == []
    assert root_from_path(leaf, 0, 1, []) == leaf


def test_empty_tree_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        merkle_root([])
    assert caught.value.field == "leaves"


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_root_matches_the_rfc_6962_definition(size: int) -> None:
    _, _, hashes = chain(size)
    assert merkle_root(hashes) == reference_root(hashes)


def test_known_small_roots() -> None:
    a, b, c = sha(b"a"), sha(b"b"), sha(b"c")
    assert merkle_root([a, b]) == node_hash(a, b)
    assert merkle_root([a, b, c]) == node_hash(node_hash(a, b), c)


# -- inclusion paths -------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_every_index_of_every_size_proves_inclusion(size: int) -> None:
    bodies, previous, hashes = chain(size)
    root = merkle_root(hashes)
    for index in range(size):
        path = inclusion_path(hashes, index)
        assert path == reference_path(hashes, index)
        assert root_from_path(hashes[index], index, size, path) == root
        proof = InclusionProof(
            index + 1, bodies[index], previous[index], index, size, tuple(path), root
        )
        assert verify_inclusion(proof)
        assert verify_inclusion(proof, root)


@pytest.mark.parametrize("index", [-1, 5, 6])
def test_path_for_an_index_outside_the_tree_is_refused(index: int) -> None:
    _, _, hashes = chain(5)
    with pytest.raises(ValidationError) as caught:
        inclusion_path(hashes, index)
    assert caught.value.field == "index"


@pytest.mark.parametrize(("index", "size"), [(-1, 4), (4, 4), (0, 0)])
def test_root_from_path_with_an_impossible_index_is_none(index: int, size: int) -> None:
    assert root_from_path(sha(b"x"), index, size, [sha(b"y")] * 3) is None


# -- proofs that must fail -------------------------------------------------------


def test_proof_fails_against_a_wrong_root() -> None:
    proof = honest_proof(13, 6)
    assert verify_inclusion(proof, proof.root)
    assert not verify_inclusion(proof, GENESIS_HASH)
    assert not verify_inclusion(proof, honest_proof(14, 6).root)
    assert not verify_inclusion(proof, bytes([proof.root[0] ^ 1]) + proof.root[1:])


def test_proof_fails_with_a_wrong_body() -> None:
    proof = honest_proof(13, 6)
    assert not verify_inclusion(dataclasses.replace(proof, body=proof.body + b" "))
    assert not verify_inclusion(dataclasses.replace(proof, body=b'{"n":7}'))


def test_proof_fails_with_a_wrong_previous_hash() -> None:
    proof = honest_proof(13, 6)
    assert not verify_inclusion(dataclasses.replace(proof, previous_hash=GENESIS_HASH))


def test_proof_fails_at_any_other_index() -> None:
    proof = honest_proof(13, 6)
    for index in [*range(-2, 6), *range(7, 16)]:
        assert not verify_inclusion(dataclasses.replace(proof, leaf_index=index)), index


def test_proof_fails_with_a_truncated_or_extended_path() -> None:
    proof = honest_proof(13, 6)
    assert len(proof.path) == 4
    for cut in range(len(proof.path)):
        assert not verify_inclusion(dataclasses.replace(proof, path=proof.path[:cut]))
    assert not verify_inclusion(dataclasses.replace(proof, path=(*proof.path, GENESIS_HASH)))
    assert not verify_inclusion(dataclasses.replace(proof, path=(GENESIS_HASH, *proof.path)))
    assert not verify_inclusion(dataclasses.replace(proof, path=proof.path[::-1]))


def test_proof_fails_with_a_tree_size_needing_another_path() -> None:
    proof = honest_proof(13, 6)
    for size in (0, 1, 6, 7, 8, 17, 100):
        assert not verify_inclusion(dataclasses.replace(proof, tree_size=size)), size


def test_tree_size_is_not_bound_by_the_path_alone() -> None:
    # RFC 6962 paths do not commit to the tree size: leaf 0 of a 3-leaf tree
    # has the same path shape as in a 4-leaf tree. A verifier must therefore
    # compare tree_size with the signed checkpoint's range, not trust the proof.
    proof = honest_proof(3, 0)
    assert verify_inclusion(dataclasses.replace(proof, tree_size=4))


# -- serialisation ---------------------------------------------------------------


def test_proof_dict_round_trip() -> None:
    proof = honest_proof(21, 17)
    data = proof.to_dict()
    assert data["root"] == proof.root.hex()
    assert data["body"] == proof.body.decode()
    assert data["path"] == [node.hex() for node in proof.path]
    back = InclusionProof.from_dict(data)
    assert back == proof
    assert verify_inclusion(back)


def test_single_leaf_proof_round_trips() -> None:
    proof = honest_proof(1, 0)
    assert proof.path == ()
    assert InclusionProof.from_dict(proof.to_dict()) == proof


@pytest.mark.parametrize(
    "change",
    [
        {"root": "zz"},
        {"previous_hash": "abc"},
        {"path": "00" * 32},
        {"path": ["not-hex"]},
        {"path": None},
        {"seq": "seven"},
        {"leaf_index": None},
        {"tree_size": "1.5"},
    ],
)
def test_malformed_proof_dict_is_a_proof_error(change: dict[str, object]) -> None:
    data = {**honest_proof(5, 2).to_dict(), **change}
    with pytest.raises(ValidationError) as caught:
        InclusionProof.from_dict(data)
    assert caught.value.field == "proof"
    assert "malformed inclusion proof" in caught.value.message


@pytest.mark.parametrize(
    "missing", ["seq", "body", "previous_hash", "leaf_index", "tree_size", "path", "root"]
)
def test_proof_dict_missing_a_key_is_a_proof_error(missing: str) -> None:
    data = honest_proof(5, 2).to_dict()
    del data[missing]
    with pytest.raises(ValidationError) as caught:
        InclusionProof.from_dict(data)
    assert caught.value.field == "proof"
