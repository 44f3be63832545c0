"""verify() names the first tampered, missing, reordered or truncated record, on every store."""

from __future__ import annotations

import pytest

from finmon.events.log import Log
from finmon.events.stores.base import LogStore
from finmon.testing import execute_raw, sample_envelopes


@pytest.fixture
def filled(log: Log) -> Log:
    log.append_batch(sample_envelopes(0, 40))
    assert log.verify(deep=True).ok
    return log


def _first(log: Log) -> tuple[int | None, str | None]:
    report = log.verify()
    assert not report.ok
    first = report.first
    return report.first_bad_seq, first.kind if first else None


def _body(store: LogStore, seq: int) -> bytes:
    row = store.record(seq)
    assert row is not None
    return row[2]


def test_edited_body_is_tampered(filled: Log) -> None:
    body = _body(filled.store, 23).replace(b'"n":22', b'"n":99')
    execute_raw(filled.store, "UPDATE log_records SET body = ? WHERE seq = 23", (body,))
    assert _first(filled) == (23, "tampered")


def test_edited_hash_is_tampered(filled: Log) -> None:
    execute_raw(filled.store, "UPDATE log_records SET hash = ? WHERE seq = 5", (bytes(32),))
    assert _first(filled) == (5, "tampered")


def test_deleted_record_is_missing(filled: Log) -> None:
    execute_raw(filled.store, "DELETE FROM log_records WHERE seq = 17")
    assert _first(filled) == (17, "missing")


def test_swapped_records_are_reordered(filled: Log) -> None:
    store = filled.store
    a, b = store.record(10), store.record(11)
    assert a is not None
    assert b is not None
    execute_raw(store, "UPDATE log_records SET hash = ?, body = ? WHERE seq = 10", (b[1], b[2]))
    execute_raw(store, "UPDATE log_records SET hash = ?, body = ? WHERE seq = 11", (a[1], a[2]))
    assert _first(filled) == (10, "reordered")


def test_swapped_bodies_are_reordered(filled: Log) -> None:
    body_a, body_b = _body(filled.store, 30), _body(filled.store, 31)
    execute_raw(filled.store, "UPDATE log_records SET body = ? WHERE seq = 30", (body_b,))
    execute_raw(filled.store, "UPDATE log_records SET body = ? WHERE seq = 31", (body_a,))
    assert _first(filled) == (30, "reordered")


def test_truncated_tail_is_detected_by_the_head(filled: Log) -> None:
    execute_raw(filled.store, "DELETE FROM log_records WHERE seq > 35")
    assert _first(filled) == (36, "truncated")


def test_truncation_with_a_forged_head_is_caught_by_the_signed_checkpoint(filled: Log) -> None:
    row = filled.store.record(20)
    assert row is not None
    execute_raw(filled.store, "DELETE FROM log_records WHERE seq > 20")
    execute_raw(filled.store, "UPDATE log_head SET seq = 20, hash = ? WHERE id = 1", (row[1],))
    assert _first(filled) == (21, "truncated")


def test_rewritten_checkpoint_root_fails_its_signature(filled: Log) -> None:
    execute_raw(filled.store, "UPDATE log_checkpoints SET root = ? WHERE seq_to = 16", (bytes(32),))
    assert _first(filled) == (1, "bad_checkpoint")


def test_deleted_checkpoint_is_missing(filled: Log) -> None:
    execute_raw(filled.store, "DELETE FROM log_checkpoints WHERE seq_to = 16")
    assert _first(filled) == (1, "checkpoint_missing")


def test_edited_head_hash_is_a_head_mismatch(filled: Log) -> None:
    execute_raw(filled.store, "UPDATE log_head SET hash = ? WHERE id = 1", (bytes(32),))
    assert _first(filled) == (40, "head_mismatch")
