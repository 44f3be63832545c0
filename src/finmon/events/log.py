"""The append-only, hash-chained, checkpointed event log: finmon's source of truth.

Each record gets the next gapless sequence number and the hash
``SHA-256(0x00 || previous hash || canonical body)``, so changing, removing or
moving any record breaks every hash after it. Every ``checkpoint_interval``
records the log also writes a checkpoint: the RFC 6962 Merkle root of the
records since the last one plus the chain hash at its end, signed with an
Ed25519 key that lives outside the database. The signature makes a rewrite of
the whole chain detectable too; the root lets anyone prove one record's
inclusion (:func:`finmon.events.merkle.verify_inclusion`) without the rest.

Appends are idempotent by event id (a redelivered event is reported as a
duplicate and not stored twice) and atomic per batch: a crash rolls the batch
back, leaving the log gapless and verifiable.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import NotFoundError, ValidationError
from finmon.events.envelope import Envelope
from finmon.events.merkle import InclusionProof, inclusion_path, merkle_root, verify_inclusion
from finmon.events.schemas import EventRegistry
from finmon.events.signing import Signer, key_id_of, verify_signature
from finmon.events.stores.base import (
    Checkpoint,
    DuplicateEventError,
    Head,
    LogStore,
    LogWriter,
    RecordRow,
)
from finmon.events.verify import VerifyReport, verify_log

MAX_BODY_BYTES = 1 << 20
_STATEMENT_PREFIX = b"finmon.log.checkpoint.v1"

ApplyInTransaction = Callable[[Any, list[tuple[int, Envelope]]], None]
"""A projection update run inside an append's transaction: (connection, appended events)."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One stored record: sequence number, chained hash and canonical body."""

    seq: int
    hash: bytes
    body: bytes

    def envelope(self) -> Envelope:
        return Envelope.from_bytes(self.body)


@dataclass(slots=True)
class AppendResult:
    """What one append did.

    Attributes:
        appended: (seq, event id) of every record written, in order.
        duplicates: event ids skipped because the log already held them (or the
            batch repeated them), with the sequence number that holds each.
        checkpoints: checkpoints written by this append.
    """

    appended: list[tuple[int, str]] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def last_seq(self) -> int | None:
        return self.appended[-1][0] if self.appended else None


def checkpoint_statement(log_id: str, checkpoint: Checkpoint) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    parts = (
        _STATEMENT_PREFIX,
        log_id.encode(),
        str(checkpoint.seq_from).encode(),
        str(checkpoint.seq_to).encode(),
        checkpoint.root.hex().encode(),
        checkpoint.head_hash.hex().encode(),
        checkpoint.created_at.encode(),
        checkpoint.key_id.encode(),
    )
    return b"|".join(parts)


def _unique_in_batch(
    envelopes: Sequence[Envelope], bodies: Sequence[bytes], result: AppendResult
) -> dict[str, bytes]:
    """The batch's events by id, in order; a repeated id inside the batch is a duplicate."""
    fresh: dict[str, bytes] = {}
    for envelope, body in zip(envelopes, bodies, strict=True):
        if envelope.id in fresh:
            result.duplicates[envelope.id] = 0  # 0: earlier in this same batch
        else:
            fresh[envelope.id] = body
    return fresh


def verify_record_proof(
    proof: InclusionProof, checkpoint: Checkpoint, public_key: Ed25519PublicKey, log_id: str
) -> bool:
    """What an auditor runs: is this record in this log, at this place, per a signed checkpoint?

    Beyond :func:`~finmon.events.merkle.verify_inclusion` it checks that the
    checkpoint is signed by ``public_key`` for ``log_id``, and that the proof's
    tree size and leaf index agree with the checkpoint's range (RFC 6962 paths
    alone do not bind the tree size).
    """
    return (
        verify_signature(public_key, checkpoint_statement(log_id, checkpoint), checkpoint.signature)
        and proof.root == checkpoint.root
        and proof.tree_size == checkpoint.seq_to - checkpoint.seq_from + 1
        and proof.seq == checkpoint.seq_from + proof.leaf_index
        and verify_inclusion(proof, checkpoint.root)
    )


class Log:
    """An append-only log over a :class:`~finmon.events.stores.base.LogStore`."""

    def __init__(
        self,
        store: LogStore,
        signer: Signer,
        *,
        checkpoint_interval: int = 1024,
        clock: Clock | None = None,
        registry: EventRegistry | None = None,
        on_checkpoint: Callable[[Checkpoint], None] | None = None,
        trusted_keys: Sequence[Ed25519PublicKey] = (),
    ) -> None:
        if checkpoint_interval < 1:
            raise ValidationError("must be at least 1", field="checkpoint_interval")
        self.store = store
        self.signer = signer
        self.checkpoint_interval = checkpoint_interval
        self._clock = clock or SystemClock()
        self._registry = registry
        self._on_checkpoint = on_checkpoint
        keys = [signer.public_key, *trusted_keys]
        self.trusted_keys: dict[str, Ed25519PublicKey] = {key_id_of(k): k for k in keys}
        # Leaves of the records after the last checkpoint, as of this Log's last commit.
        self._tail: tuple[int, list[bytes]] = (0, [])

    # -- writing -----------------------------------------------------------

    def append(self, envelope: Envelope) -> int:
        """Append one event; return its sequence number (the existing one if a duplicate)."""
        result = self.append_batch([envelope])
        if result.appended:
            return result.appended[0][0]
        return result.duplicates[envelope.id]

    def append_batch(
        self, envelopes: Sequence[Envelope], *, apply: ApplyInTransaction | None = None
    ) -> AppendResult:
        """Append events atomically, in order; events already in the log are skipped.

        Duplicates are rare (redeliveries), so the insert is optimistic: the
        unique event-id index refuses a duplicate, the store rolls back to a
        savepoint, and only then are the known ids looked up and skipped.

        ``apply(connection, appended)`` runs inside the same database
        transaction, after the records are written, with the store's connection
        and the (seq, envelope) pairs actually appended: a projection kept in
        the same database (ledger balances) commits with its journal or not at
        all. If it raises, nothing of the batch is kept.
        """
        bodies = self._encode(envelopes)
        result = AppendResult()
        fresh = _unique_in_batch(envelopes, bodies, result)
        with self.store.writer() as writer:
            head = writer.head()
            try:
                rows = self._insert(writer, head, fresh)
            except DuplicateEventError:
                known = writer.known_ids(list(fresh))
                result.duplicates.update({event_id: known[event_id] for event_id in known})
                fresh = {k: v for k, v in fresh.items() if k not in known}
                rows = self._insert(writer, head, fresh)
            if rows:
                head = Head(rows[-1][0], rows[-1][1])
                result.appended = [(row[0], key) for row, key in zip(rows, fresh, strict=True)]
            if apply is not None:
                by_id = {envelope.id: envelope for envelope in envelopes}
                apply(writer.connection, [(seq, by_id[key]) for seq, key in result.appended])
            result.checkpoints, tail = self._write_due_checkpoints(writer, head, rows, force=False)
        self._tail = tail
        self._publish(result.checkpoints)
        return result

    def checkpoint_now(self) -> Checkpoint | None:
        """Checkpoint the records since the last checkpoint, however few (e.g. at shutdown)."""
        with self.store.writer() as writer:
            written, tail = self._write_due_checkpoints(writer, writer.head(), (), force=True)
        self._tail = tail
        self._publish(written)
        return written[-1] if written else None

    @staticmethod
    def _insert(writer: LogWriter, head: Head, fresh: dict[str, bytes]) -> list[RecordRow]:
        rows: list[RecordRow] = []
        seq, previous = head.seq, head.hash
        sha256 = hashlib.sha256  # the hot loop: same hash as merkle.record_hash
        for body in fresh.values():
            seq += 1
            previous = sha256(b"\x00" + previous + body).digest()
            rows.append((seq, previous, body))
        if rows:
            writer.insert(rows, list(fresh))
            writer.set_head(Head(seq, previous))
        return rows

    def _encode(self, envelopes: Sequence[Envelope]) -> list[bytes]:
        bodies = []
        for index, envelope in enumerate(envelopes):
            if self._registry is not None:
                self._registry.validate(envelope)
            body = envelope.to_bytes()
            if len(body) > MAX_BODY_BYTES:
                raise ValidationError(
                    f"event {index} ({envelope.id}) is {len(body)} bytes; the limit is "
                    f"{MAX_BODY_BYTES}",
                    field="payload",
                )
            bodies.append(body)
        return bodies

    def _write_due_checkpoints(
        self, writer: LogWriter, head: Head, fresh_rows: Sequence[RecordRow], *, force: bool
    ) -> tuple[list[Checkpoint], tuple[int, list[bytes]]]:
        """Sign every checkpoint now due; return them and the uncovered tail's leaves."""
        tail_start = writer.last_checkpoint_seq() + 1
        first_fresh = fresh_rows[0][0] if fresh_rows else head.seq + 1
        leaves = self._older_leaves(writer, tail_start, first_fresh)
        leaves.extend(row[1] for row in fresh_rows)
        written = []
        start = tail_start
        while head.seq - start + 1 >= self.checkpoint_interval or (force and start <= head.seq):
            end = min(start + self.checkpoint_interval - 1, head.seq)
            checkpoint = self._sign(start, end, leaves[start - tail_start : end - tail_start + 1])
            writer.insert_checkpoint(checkpoint)
            written.append(checkpoint)
            start = end + 1
        return written, (start, leaves[start - tail_start :])

    def _older_leaves(self, writer: LogWriter, tail_start: int, first_fresh: int) -> list[bytes]:
        """Hashes of ``tail_start..first_fresh-1``: from the last commit's cache when it still fits.

        The cache is trusted only if it starts at the same checkpoint boundary
        and ends exactly where this batch begins; another writer moving the head
        or a checkpoint breaks that, and the store is read instead.
        """
        if tail_start >= first_fresh:
            return []
        cached_start, cached = self._tail
        if cached_start == tail_start and tail_start + len(cached) == first_fresh:
            return list(cached)
        return writer.hashes(tail_start, first_fresh - 1)

    def _sign(self, seq_from: int, seq_to: int, leaves: list[bytes]) -> Checkpoint:
        unsigned = Checkpoint(
            seq_from=seq_from,
            seq_to=seq_to,
            root=merkle_root(leaves),
            head_hash=leaves[-1],
            created_at=self._clock.now().isoformat(timespec="microseconds"),
            key_id=self.signer.key_id,
            signature=b"",
        )
        signature = self.signer.sign(checkpoint_statement(self.store.log_id(), unsigned))
        return dataclasses.replace(unsigned, signature=signature)

    def _publish(self, checkpoints: Sequence[Checkpoint]) -> None:
        if self._on_checkpoint is not None:
            for checkpoint in checkpoints:
                self._on_checkpoint(checkpoint)

    # -- reading -----------------------------------------------------------

    def head(self) -> Head:
        return self.store.head()

    def read(self, seq_from: int = 1, seq_to: int | None = None) -> Iterator[LogRecord]:
        """Records in order from ``seq_from``: the basis of every replay."""
        if seq_from < 1:
            raise ValidationError("sequence numbers start at 1", field="seq_from")
        for chunk in self.store.read(seq_from, seq_to):
            for seq, digest, body in chunk:
                yield LogRecord(seq, digest, body)

    def replay(self, handler: Callable[[int, Envelope], None], seq_from: int = 1) -> int:
        """Feed every event from ``seq_from`` to ``handler(seq, envelope)``; return the count."""
        count = 0
        for record in self.read(seq_from):
            handler(record.seq, record.envelope())
            count += 1
        return count

    def checkpoints(self) -> list[Checkpoint]:
        return self.store.checkpoints()

    # -- proving -----------------------------------------------------------

    def prove(self, seq: int) -> tuple[InclusionProof, Checkpoint]:
        """An inclusion proof of record ``seq`` and the checkpoint whose root it leads to."""
        last = self.head().seq
        if not 1 <= seq <= last:
            raise NotFoundError(
                f"record {seq} does not exist: the log holds records 1..{last}", field="seq"
            )
        checkpoint = next((c for c in self.checkpoints() if c.seq_from <= seq <= c.seq_to), None)
        if checkpoint is None:
            raise NotFoundError(
                f"no checkpoint covers record {seq} yet (run a checkpoint first)", field="seq"
            )
        rows = [
            row
            for chunk in self.store.read(checkpoint.seq_from, checkpoint.seq_to)
            for row in chunk
        ]
        previous = self.store.record(checkpoint.seq_from - 1) if checkpoint.seq_from > 1 else None
        index = seq - checkpoint.seq_from
        before = rows[index - 1][1] if index > 0 else (previous[1] if previous else bytes(32))
        proof = InclusionProof(
            seq=seq,
            body=rows[index][2],
            previous_hash=before,
            leaf_index=index,
            tree_size=len(rows),
            path=tuple(inclusion_path([row[1] for row in rows], index)),
            root=checkpoint.root,
        )
        return proof, checkpoint

    # -- verifying ---------------------------------------------------------

    def verify(
        self,
        *,
        deep: bool = False,
        anchors: Sequence[Checkpoint] = (),
        workers: int | None = None,
    ) -> VerifyReport:
        """Recompute the chain and check head, checkpoints and their signatures.

        ``deep`` also recomputes every checkpoint's Merkle root. ``anchors`` are
        checkpoints published outside the database (see
        :class:`~finmon.events.published.CheckpointFile`): they catch a rewrite
        or truncation by someone who can also edit the checkpoint table.
        ``workers`` sets how many processes scan the chain (default: every core
        for a large log, one for a small one).
        """
        return verify_log(
            self.store,
            self.trusted_keys,
            lambda cp: checkpoint_statement(self.store.log_id(), cp),
            deep=deep,
            anchors=anchors,
            workers=workers,
        )


__all__ = [
    "AppendResult",
    "Log",
    "LogRecord",
    "VerifyReport",
    "checkpoint_statement",
    "verify_record_proof",
]
