"""Properties of Merkle inclusion proofs: honest proofs verify, altered ones never do.

The one field a proof's path does not bind is ``tree_size``: RFC 6962 gives a
leaf the same path in trees whose shape around it agrees. So the property for
a changed size is exact: the proof verifies if and only if the leaf's path
shape (sibling on the left or right at each level) is the same in both sizes,
computed here from the RFC's recursive definition, independently of finmon.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from finmon.events.merkle import (
    InclusionProof,
    merkle_root,
    verify_inclusion,
)
from finmon.testing.merkle_oracle import chain, honest_proof, reference_root, split

MAX_SIZE = 300


@cache
def shape(index: int, size: int) -> tuple[str, ...]:
    """Which side each sibling of the path is on, leaf to root (RFC 6962 PATH)."""
    if size == 1:
        return ()
    k = split(size)
    if index < k:
        return (*shape(index, k), "R")
    return (*shape(index - k, size - k), "L")


@st.composite
def sized_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


def flip(data: bytes, position: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


@settings(max_examples=200, deadline=None)
@given(sized_index())
def test_honest_proofs_verify_and_match_the_reference_root(case: tuple[int, int]) -> None:
    size, index = case
    proof = honest_proof(size, index)
    assert proof.root == reference_root(chain(size)[2])
    assert len(proof.path) == len(shape(index, size))
    assert verify_inclusion(proof, proof.root)
    assert verify_inclusion(InclusionProof.from_dict(proof.to_dict()), proof.root)


MUTATIONS = st.sampled_from(
    [
        "root",
        "body",
        "body_extended",
        "previous_hash",
        "path_node",
        "index",
        "truncate",
        "extend",
        "swap",
    ]
)


def mutate(proof: InclusionProof, how: str, draw: st.DrawFn) -> InclusionProof | None:
    """An altered copy of ``proof``; None when this mutation does not apply to it."""
    path = proof.path
    if how == "body":
        return dataclasses.replace(proof, body=flip(proof.body, draw(st.integers(0, 99))))
    if how == "body_extended":
        return dataclasses.replace(proof, body=proof.body + draw(st.binary(min_size=1, max_size=4)))
    if how == "previous_hash":
        changed = flip(proof.previous_hash, draw(st.integers(0, 31)))
        return dataclasses.replace(proof, previous_hash=changed)
    if how == "path_node" and path:
        at = draw(st.integers(0, len(path) - 1))
        node = flip(path[at], draw(st.integers(0, 31)))
        return dataclasses.replace(proof, path=(*path[:at], node, *path[at + 1 :]))
    if how == "index":
        other = draw(st.integers(-3, proof.tree_size + 3).filter(lambda i: i != proof.leaf_index))
        return dataclasses.replace(proof, leaf_index=other)
    if how == "truncate" and path:
        return dataclasses.replace(proof, path=path[: draw(st.integers(0, len(path) - 1))])
    if how == "extend":
        extra = tuple(draw(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=3)))
        at = draw(st.integers(0, len(path)))
        return dataclasses.replace(proof, path=(*path[:at], *extra, *path[at:]))
    if how == "swap" and len(path) >= 2:
        i, j = draw(st.lists(st.integers(0, len(path) - 1), min_size=2, max_size=2, unique=True))
        if path[i] == path[j]:
            return None
        swapped = list(path)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        return dataclasses.replace(proof, path=tuple(swapped))
    return None


@settings(max_examples=600, deadline=None)
@given(sized_index(), MUTATIONS, st.data())
def test_an_altered_proof_never_verifies(
    case: tuple[int, int], how: str, data: st.DataObject
) -> None:
    proof = honest_proof(*case)
    altered = mutate(proof, how, data.draw)
    if altered is None:
        return
    assert altered != proof
    assert not verify_inclusion(altered, proof.root)
    assert not verify_inclusion(altered)


@settings(max_examples=300, deadline=None)
@given(sized_index(), st.binary(min_size=32, max_size=32))
def test_a_proof_never_verifies_against_another_root(
    case: tuple[int, int], other_root: bytes
) -> None:
    proof = honest_proof(*case)
    if other_root == proof.root:
        return
    assert not verify_inclusion(proof, other_root)
    assert not verify_inclusion(dataclasses.replace(proof, root=other_root))


@settings(max_examples=300, deadline=None)
@given(sized_index(), st.integers(0, MAX_SIZE + 10))
def test_a_roots_other_tree_never_accepts_the_proof(case: tuple[int, int], other: int) -> None:
    size, index = case
    if other in (0, size):
        return
    proof = honest_proof(size, index)
    other_root = merkle_root(chain(other)[2])
    assert not verify_inclusion(proof, other_root)


@settings(max_examples=400, deadline=None)
@given(sized_index(), st.integers(-2, MAX_SIZE + 10))
def test_a_changed_tree_size_verifies_only_with_the_same_path_shape(
    case: tuple[int, int], new_size: int
) -> None:
    size, index = case
    if new_size == size:
        return
    proof = honest_proof(size, index)
    same_shape = 0 <= index < new_size and shape(index, new_size) == shape(index, size)
    assert verify_inclusion(dataclasses.replace(proof, tree_size=new_size)) is same_shape
