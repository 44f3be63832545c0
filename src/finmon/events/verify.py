"""Checking a log end to end, and saying exactly where it first went wrong.

The record scan is the hot loop (every record is read and hashed once), so it
is written for speed: one SHA-256 per record and a sequence-number check, no
decoding. Everything else (head, checkpoints, signatures, anchors) costs one
look-up per checkpoint. When the scan finds a bad record, a small diagnosis
looks at its neighbours to tell a *moved* record (its body and hash belong at
another position) from an *edited* one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from finmon.core.errors import IntegrityError
from finmon.events.merkle import GENESIS_HASH, merkle_root, record_hash
from finmon.events.signing import verify_signature
from finmon.events.stores.base import Checkpoint, LogStore, StoreSpec

_DIAGNOSIS_WINDOW = 64
PARALLEL_THRESHOLD = 400_000


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: the first sequence number it affects, its kind and the detail."""

    seq: int
    kind: str
    detail: str


@dataclass(slots=True)
class VerifyReport:
    """The outcome of :meth:`finmon.events.log.Log.verify`.

    ``kind`` of the first problem is one of: ``tampered`` (a record's bytes or
    hash changed), ``reordered`` (a record sits at the wrong position),
    ``missing`` (a gap in sequence numbers), ``truncated`` (records the head or
    a checkpoint vouches for are gone), ``head_mismatch``, ``bad_checkpoint``
    (a signature, root or chain hash that does not match) and
    ``checkpoint_missing``.
    """

    records_checked: int = 0
    checkpoints_checked: int = 0
    head_seq: int = 0
    elapsed_s: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings, key=lambda f: f.seq) if self.findings else None

    @property
    def first_bad_seq(self) -> int | None:
        first = self.first
        return first.seq if first else None

    @property
    def records_per_second(self) -> float:
        return self.records_checked / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        first = self.first
        return {
            "ok": self.ok,
            "records_checked": self.records_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "head_seq": self.head_seq,
            "first_bad_seq": self.first_bad_seq,
            "kind": first.kind if first else None,
            "detail": first.detail if first else None,
            "findings": [{"seq": f.seq, "kind": f.kind, "detail": f.detail} for f in self.findings],
            "elapsed_s": round(self.elapsed_s, 6),
        }


def verify_log(
    store: LogStore,
    trusted_keys: Mapping[str, Ed25519PublicKey],
    statement: Callable[[Checkpoint], bytes],
    *,
    deep: bool = False,
    anchors: Sequence[Checkpoint] = (),
    workers: int | None = None,
) -> VerifyReport:
    """Verify records, head, checkpoints and anchors; see :class:`VerifyReport`."""
    started = time.perf_counter()
    report = VerifyReport()
    head = store.head()
    report.head_seq = head.seq
    checkpoints = store.checkpoints()
    last_seq, last_hash, finding = scan_chain(store, workers=workers)
    report.records_checked = last_seq
    if finding is not None:
        report.findings.append(finding)
    else:
        report.findings.extend(_check_head(head.seq, head.hash, last_seq, last_hash))
    if finding is not None:
        # Past a broken record nothing can be vouched for; judge only the intact prefix.
        checkpoints = [c for c in checkpoints if c.seq_to <= last_seq]
        anchors = [a for a in anchors if a.seq_to <= last_seq]
    report.findings.extend(
        _check_checkpoints(store, checkpoints, trusted_keys, statement, last_seq)
    )
    report.checkpoints_checked = len(checkpoints)
    if deep:
        report.findings.extend(_check_roots(store, checkpoints, last_seq))
    report.findings.extend(_check_anchors(store, checkpoints, anchors, last_seq))
    report.elapsed_s = time.perf_counter() - started
    return report


ScanResult = tuple[int, bytes, Finding | None]
"""(last intact seq, its hash, the first problem if any)."""


def scan_chain(store: LogStore, *, workers: int | None = None) -> ScanResult:
    """Check every record's hash against its predecessor's, in one or several processes.

    Each record's check needs only its own row and the stored hash before it,
    so ranges can be checked independently: together they cover every link.
    ``workers=None`` uses every core once the log is large enough
    (:data:`PARALLEL_THRESHOLD` records) to repay starting the processes.
    """
    last = store.max_seq()
    if workers is None:
        workers = (os.cpu_count() or 1) if last >= PARALLEL_THRESHOLD else 1
    count = max(1, min(workers, last))
    if count == 1:
        return scan_range(store, 1, last, GENESIS_HASH)
    bounds = [(1 + last * i // count, last * (i + 1) // count) for i in range(count)]
    starts = [GENESIS_HASH] + [_stored_hash(store, low - 1) for low, _ in bounds[1:]]
    workers_running = [
        _start_worker(store.spec(), low, high, start)
        for (low, high), start in zip(bounds, starts, strict=True)
    ]
    results = [_collect(process) for process in workers_running]
    for result in results:
        if result[2] is not None:
            return result
    return results[-1]


def _start_worker(spec: StoreSpec, low: int, high: int, start: bytes) -> subprocess.Popen[bytes]:
    # A fresh interpreter rather than multiprocessing: no fork of a threaded
    # parent, and no re-import of the caller's main module.
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "finmon.events.verify_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    request = {"spec": list(spec), "from": low, "to": high, "previous": start.hex()}
    assert process.stdin is not None  # noqa: S101 - PIPE was asked for
    process.stdin.write(orjson.dumps(request))
    process.stdin.close()
    return process


def _collect(process: subprocess.Popen[bytes]) -> ScanResult:
    assert process.stdout is not None  # noqa: S101 - PIPE was asked for
    output = process.stdout.read()
    process.stdout.close()
    if process.wait() != 0:
        raise IntegrityError(f"a verify worker failed with exit code {process.returncode}")
    answer = orjson.loads(output)
    finding = answer["finding"]
    return (
        int(answer["last"]),
        bytes.fromhex(answer["hash"]),
        Finding(**finding) if finding else None,
    )


def _stored_hash(store: LogStore, seq: int) -> bytes:
    row = store.record(seq)
    # A missing or mistyped predecessor is reported by the range that holds it.
    return row[1] if row is not None and isinstance(row[1], bytes) else GENESIS_HASH


def scan_range(store: LogStore, seq_from: int, seq_to: int, previous: bytes) -> ScanResult:
    """Walk ``seq_from..seq_to``; the hot loop: one SHA-256 and a comparison per record."""
    sha256 = hashlib.sha256
    expected = seq_from
    try:
        for chunk in store.read(seq_from, seq_to):
            for seq, stored, body in chunk:
                if seq != expected:
                    detail = f"records {expected}..{seq - 1} are missing"
                    return expected - 1, previous, Finding(expected, "missing", detail)
                if sha256(b"\x00" + previous + body).digest() != stored:
                    return expected - 1, previous, _diagnose(store, seq, previous, body, stored)
                previous = stored
                expected += 1
    except TypeError:
        # A column edited to another type (text instead of bytes): plainly tampered.
        detail = f"record {expected} has a body or hash of the wrong type"
        return expected - 1, previous, Finding(expected, "tampered", detail)
    if expected <= seq_to:
        detail = f"records {expected}..{seq_to} are missing"
        return expected - 1, previous, Finding(expected, "missing", detail)
    return expected - 1, previous, None


def _diagnose(store: LogStore, seq: int, previous: bytes, body: bytes, stored: bytes) -> Finding:
    """Tell a moved record from an edited one by trying it at nearby positions."""
    low = max(1, seq - _DIAGNOSIS_WINDOW)
    hashes = {row[0]: row[1] for chunk in store.read(low, seq + _DIAGNOSIS_WINDOW) for row in chunk}
    hashes[0] = GENESIS_HASH
    for other, other_hash in hashes.items():
        fits_there = (
            other != seq
            and other - 1 in hashes
            and (record_hash(hashes[other - 1], body) == other_hash)
        )
        moved_whole = other != seq - 1 and record_hash(other_hash, body) == stored
        if fits_there or moved_whole:
            return Finding(seq, "reordered", f"record {seq} holds a record from another position")
    return Finding(seq, "tampered", f"record {seq} does not match its hash (body or hash edited)")


def _check_head(head_seq: int, head_hash: bytes, last_seq: int, last_hash: bytes) -> list[Finding]:
    if head_seq > last_seq:
        detail = f"the head vouches for {head_seq} records but only {last_seq} remain"
        return [Finding(last_seq + 1, "truncated", detail)]
    if head_seq < last_seq:
        detail = f"records {head_seq + 1}..{last_seq} are beyond the recorded head {head_seq}"
        return [Finding(head_seq + 1, "head_mismatch", detail)]
    if head_hash != last_hash:
        return [
            Finding(max(last_seq, 1), "head_mismatch", "the head hash differs from the last record")
        ]
    return []


def _check_checkpoints(
    store: LogStore,
    checkpoints: Sequence[Checkpoint],
    keys: Mapping[str, Ed25519PublicKey],
    statement: Callable[[Checkpoint], bytes],
    last_seq: int,
) -> list[Finding]:
    findings: list[Finding] = []
    expected_from = 1
    for checkpoint in checkpoints:
        if checkpoint.seq_from != expected_from:
            detail = f"no checkpoint covers records {expected_from}..{checkpoint.seq_from - 1}"
            findings.append(Finding(expected_from, "checkpoint_missing", detail))
        expected_from = checkpoint.seq_to + 1
        findings.extend(_check_one(store, checkpoint, keys, statement, last_seq))
    return findings


def _check_one(
    store: LogStore,
    checkpoint: Checkpoint,
    keys: Mapping[str, Ed25519PublicKey],
    statement: Callable[[Checkpoint], bytes],
    last_seq: int,
) -> list[Finding]:
    at = checkpoint.seq_to
    key = keys.get(checkpoint.key_id)
    if key is None:
        return [
            Finding(
                at,
                "bad_checkpoint",
                f"checkpoint {at} is signed by unknown key {checkpoint.key_id}",
            )
        ]
    if not verify_signature(key, statement(checkpoint), checkpoint.signature):
        return [
            Finding(checkpoint.seq_from, "bad_checkpoint", f"checkpoint {at} has a bad signature")
        ]
    if at > last_seq:
        detail = (
            f"signed checkpoint {at} vouches for records beyond the last intact record {last_seq}"
        )
        return [Finding(last_seq + 1, "truncated", detail)]
    row = store.record(at)
    if row is None or row[1] != checkpoint.head_hash:
        return [Finding(at, "bad_checkpoint", f"record {at} differs from its signed checkpoint")]
    return []


def _check_roots(
    store: LogStore, checkpoints: Sequence[Checkpoint], last_seq: int
) -> list[Finding]:
    findings = []
    for checkpoint in checkpoints:
        if checkpoint.seq_to > last_seq:
            continue
        leaves = [
            row[1] for chunk in store.read(checkpoint.seq_from, checkpoint.seq_to) for row in chunk
        ]
        if merkle_root(leaves) != checkpoint.root:
            detail = f"checkpoint {checkpoint.seq_to} root does not match its records"
            findings.append(Finding(checkpoint.seq_from, "bad_checkpoint", detail))
    return findings


def _check_anchors(
    store: LogStore, checkpoints: Sequence[Checkpoint], anchors: Sequence[Checkpoint], last_seq: int
) -> list[Finding]:
    stored = {c.seq_to: c for c in checkpoints}
    findings = []
    for anchor in anchors:
        if anchor.seq_to > last_seq:
            detail = f"published checkpoint {anchor.seq_to} vouches for records beyond {last_seq}"
            findings.append(Finding(last_seq + 1, "truncated", detail))
            continue
        row = store.record(anchor.seq_to)
        if row is None or row[1] != anchor.head_hash or stored.get(anchor.seq_to) != anchor:
            detail = f"the log differs from published checkpoint {anchor.seq_to}"
            findings.append(Finding(anchor.seq_from, "bad_checkpoint", detail))
    return findings


__all__ = ["Finding", "VerifyReport", "scan_chain", "verify_log"]
