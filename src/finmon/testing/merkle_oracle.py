"""An independent RFC 6962 implementation, written from the RFC, to test finmon's Merkle code.

Recursive and slow on purpose: it splits at the largest power of two below
``n`` exactly as the RFC defines MTH and PATH, so it shares no code (and no
bugs) with :mod:`finmon.events.merkle`, which builds trees level by level.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

from finmon.events.merkle import (
    GENESIS_HASH,
    InclusionProof,
    inclusion_path,
    merkle_root,
    record_hash,
)


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 MTH(D[n])."""
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    left, right = reference_root(leaves[:k]), reference_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def reference_path(leaves: Sequence[bytes], m: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]), leaf to root."""
    n = len(leaves)
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return [*reference_path(leaves[:k], m), reference_root(leaves[k:])]
    return [*reference_path(leaves[k:], m - k), reference_root(leaves[:k])]


@cache
def chain(size: int) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]:
    """Bodies, previous hashes and record hashes of a small hash chain."""
    bodies = tuple(b'{"n":%d}' % n for n in range(size))
    previous, hashes = [], []
    last = GENESIS_HASH
    for body in bodies:
        previous.append(last)
        last = record_hash(last, body)
        hashes.append(last)
    return bodies, tuple(previous), tuple(hashes)


@cache
def honest_proof(size: int, index: int) -> InclusionProof:
    """A correct inclusion proof of record ``index`` in a chain of ``size`` records."""
    bodies, previous, hashes = chain(size)
    return InclusionProof(
        seq=index + 1,
        body=bodies[index],
        previous_hash=previous[index],
        leaf_index=index,
        tree_size=size,
        path=tuple(inclusion_path(hashes, index)),
        root=merkle_root(hashes),
    )


__all__ = ["chain", "honest_proof", "reference_path", "reference_root", "split"]
