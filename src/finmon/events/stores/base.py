"""What the Log needs from a database, and nothing more.

A store persists three things: the records (sequence number, chained hash,
canonical body), the signed checkpoints, and the head (last sequence number and
hash). It knows nothing of hashing: :class:`~finmon.events.log.Log` computes
every hash while it holds the store's exclusive writer, so two writers can never
extend the same head (no fork), and a crash rolls the whole batch back (no gap).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from finmon.core.errors import ConflictError
from finmon.events.merkle import GENESIS_HASH

RecordRow = tuple[int, bytes, bytes]
"""(seq, hash, body) as stored."""

StoreSpec = tuple[str, ...]
"""How another process opens the same store: ("sqlite", path) or ("postgres", url, schema)."""


@dataclass(frozen=True, slots=True)
class Head:
    """The last record of the log: its sequence number and hash (0 and zeros when empty)."""

    seq: int = 0
    hash: bytes = GENESIS_HASH


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that records ``seq_from..seq_to`` have Merkle ``root``.

    Attributes:
        seq_from: first record covered.
        seq_to: last record covered.
        root: RFC 6962 Merkle root over the covered records' hashes.
        head_hash: the chained hash at ``seq_to``, which commits to every record
            before it, so one signature also vouches for the whole prefix.
        created_at: ISO 8601 UTC instant the checkpoint was made.
        key_id: which signing key signed it.
        signature: Ed25519 signature over :func:`finmon.events.log.checkpoint_statement`.
    """

    seq_from: int
    seq_to: int
    root: bytes
    head_hash: bytes
    created_at: str
    key_id: str
    signature: bytes

    def as_row(self) -> tuple[int, int, bytes, bytes, str, str, bytes]:
        """Column order of the ``log_checkpoints`` table in every store."""
        return (
            self.seq_to,
            self.seq_from,
            self.root,
            self.head_hash,
            self.created_at,
            self.key_id,
            self.signature,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "root": self.root.hex(),
            "head_hash": self.head_hash.hex(),
            "created_at": self.created_at,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Checkpoint:
        return cls(
            seq_from=int(str(data["seq_from"])),
            seq_to=int(str(data["seq_to"])),
            root=bytes.fromhex(str(data["root"])),
            head_hash=bytes.fromhex(str(data["head_hash"])),
            created_at=str(data["created_at"]),
            key_id=str(data["key_id"]),
            signature=bytes.fromhex(str(data["signature"])),
        )


class DuplicateEventError(ConflictError):
    """An insert met an event id the log already holds; the store rolled the insert back."""

    code = "duplicate_event"


class LogWriter(Protocol):
    """The inside of one exclusive write transaction."""

    @property
    def connection(self) -> Any:
        """The DB-API connection of this transaction (for projections written atomically)."""
        ...

    def head(self) -> Head:
        """The stored head, read under the writer's lock."""
        ...

    def known_ids(self, event_ids: Sequence[str]) -> dict[str, int]:
        """Which of these event ids the log already holds, with their sequence numbers."""
        ...

    def hashes(self, seq_from: int, seq_to: int) -> list[bytes]:
        """Record hashes in ``seq_from..seq_to`` inclusive, in order."""
        ...

    def insert(self, rows: Sequence[RecordRow], event_ids: Sequence[str]) -> None:
        """Store records and their event ids (same order, same length).

        Raises DuplicateEventError, with nothing of this insert kept, when an
        event id is already stored; the transaction stays usable.
        """
        ...

    def last_checkpoint_seq(self) -> int:
        """The last sequence number covered by a checkpoint (0 when none)."""
        ...

    def insert_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def set_head(self, head: Head) -> None: ...


class LogStore(Protocol):
    """Persistence for one hash-chained log."""

    dialect: str

    def log_id(self) -> str:
        """A random id fixed when the log was created; checkpoints sign it."""
        ...

    def writer(self) -> AbstractContextManager[LogWriter]:
        """An exclusive transaction: commits on normal exit, rolls back on any exception."""
        ...

    def head(self) -> Head: ...

    def read(self, seq_from: int = 1, seq_to: int | None = None) -> Iterator[Sequence[RecordRow]]:
        """Records in sequence order, in chunks, from ``seq_from`` to ``seq_to`` inclusive."""
        ...

    def record(self, seq: int) -> RecordRow | None: ...

    def max_seq(self) -> int:
        """The highest stored sequence number, whatever the head says (0 when empty)."""
        ...

    def spec(self) -> StoreSpec:
        """How to open this store again in another process (see :mod:`.spec`)."""
        ...

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, in order."""
        ...

    def close(self) -> None: ...


__all__ = [
    "Checkpoint",
    "DuplicateEventError",
    "Head",
    "LogStore",
    "LogWriter",
    "RecordRow",
    "StoreSpec",
]
