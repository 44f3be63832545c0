"""Merkle trees over log records, and inclusion proofs anyone can check.

The tree follows RFC 6962 (Certificate Transparency): for ``n`` leaves the left
subtree holds the largest power of two smaller than ``n``, and interior nodes
hash ``0x01 || left || right``. Leaves here are the log's record hashes, which
are themselves ``SHA-256(0x00 || previous hash || body)``, so the two kinds of
node can never be confused and a leaf also commits to its place in the chain.

:func:`verify_inclusion` is standalone on purpose: an auditor holding a record,
a proof and a published (signed) root needs nothing else from finmon.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from finmon.core.errors import ValidationError

HASH_SIZE = 32
GENESIS_HASH = bytes(HASH_SIZE)
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def record_hash(previous: bytes, body: bytes) -> bytes:
    """The chained hash of one log record: ``SHA-256(0x00 || previous || body)``."""
    return hashlib.sha256(_LEAF_PREFIX + previous + body).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior Merkle node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the RFC 6962 tree over ``leaves`` (at least one)."""
    if not leaves:
        raise ValidationError("a Merkle tree needs at least one leaf", field="leaves")
    level = list(leaves)
    sha256 = hashlib.sha256  # hot: checkpoints hash one node per record
    while len(level) > 1:
        # Pairing level by level gives the RFC 6962 shape: an odd node is
        # promoted unchanged, exactly as the largest-power-of-two split does.
        paired = [
            sha256(_NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path for ``leaves[index]``: sibling hashes from leaf to root."""
    if not 0 <= index < len(leaves):
        raise ValidationError(
            f"leaf index {index} is outside a tree of {len(leaves)} leaves", field="index"
        )
    path: list[bytes] = []
    level = list(leaves)
    position = index
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
        position //= 2
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """Recompute the root from a leaf and its audit path; None if the path is malformed."""
    if not 0 <= index < size:
        return None
    node = leaf
    position, last = index, size - 1
    remaining = list(path)
    while last > 0:
        if position % 2 == 1:
            if not remaining:
                return None
            node = node_hash(remaining.pop(0), node)
        elif position < last:
            if not remaining:
                return None
            node = node_hash(node, remaining.pop(0))
        # else: the node is the odd one out at this level and is promoted as is.
        position //= 2
        last //= 2
    return None if remaining else node


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Evidence that one record is part of a checkpointed range of the log.

    Attributes:
        seq: the record's sequence number.
        body: the record's canonical bytes, exactly as stored.
        previous_hash: the hash of the record before it (links it into the chain).
        leaf_index: the record's position among the checkpoint's leaves.
        tree_size: how many leaves the checkpoint covers.
        path: sibling hashes from the leaf up to the root.
        root: the checkpoint's Merkle root the proof leads to.
    """

    seq: int
    body: bytes
    previous_hash: bytes
    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]
    root: bytes

    def to_dict(self) -> dict[str, object]:
        """JSON-compatible form, hashes in hex, body as text."""
        return {
            "seq": self.seq,
            "body": self.body.decode(),
            "previous_hash": self.previous_hash.hex(),
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "path": [node.hex() for node in self.path],
            "root": self.root.hex(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> InclusionProof:
        """Rebuild a proof from :meth:`to_dict` output."""
        try:
            return cls(
                seq=int(str(data["seq"])),
                body=str(data["body"]).encode(),
                previous_hash=bytes.fromhex(str(data["previous_hash"])),
                leaf_index=int(str(data["leaf_index"])),
                tree_size=int(str(data["tree_size"])),
                path=tuple(bytes.fromhex(str(node)) for node in _as_list(data["path"])),
                root=bytes.fromhex(str(data["root"])),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValidationError(f"malformed inclusion proof: {exc}", field="proof") from None


def _as_list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("path must be a list")
    return value


def verify_inclusion(proof: InclusionProof, root: bytes | None = None) -> bool:
    """True when ``proof`` shows its record is a leaf of the tree with ``root``.

    ``root`` is the root the verifier trusts (from a signed checkpoint it
    obtained independently); when omitted, the proof's own root is used, which
    only shows internal consistency.
    """
    expected = proof.root if root is None else root
    leaf = record_hash(proof.previous_hash, proof.body)
    computed = root_from_path(leaf, proof.leaf_index, proof.tree_size, proof.path)
    return computed is not None and computed == expected


__all__ = [
    "GENESIS_HASH",
    "HASH_SIZE",
    "InclusionProof",
    "inclusion_path",
    "merkle_root",
    "node_hash",
    "record_hash",
    "root_from_path",
    "verify_inclusion",
]
