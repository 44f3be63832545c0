"""Property: any single edit, deletion, swap or truncation of the log is detected."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.testing import sample_envelopes

SIGNER = Signer.generate()


@contextmanager
def built_log(size: int, interval: int) -> Iterator[tuple[Log, Path]]:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "events.db"
        store = SqliteLogStore(path, synchronous="off")
        log = Log(store, SIGNER, checkpoint_interval=interval)
        log.append_batch(sample_envelopes(0, size))
        try:
            yield log, path
        finally:
            store.close()


def _sql(path: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement, params)


def _row(path: Path, seq: int) -> tuple[bytes, bytes]:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT hash, body FROM log_records WHERE seq = ?", (seq,)).fetchone()
    return bytes(row[0]), bytes(row[1])


sizes = st.integers(min_value=2, max_value=48)
intervals = st.integers(min_value=1, max_value=16)


@settings(max_examples=60, deadline=None)
@given(size=sizes, interval=intervals, data=st.data())
def test_any_changed_byte_is_detected_at_its_record(
    size: int, interval: int, data: st.DataObject
) -> None:
    with built_log(size, interval) as (log, path):
        seq = data.draw(st.integers(1, size), label="seq")
        column = data.draw(st.sampled_from(["hash", "body"]), label="column")
        digest, body = _row(path, seq)
        value = digest if column == "hash" else body
        at = data.draw(st.integers(0, len(value) - 1), label="byte")
        flip = data.draw(st.integers(1, 255), label="xor")
        changed = value[:at] + bytes([value[at] ^ flip]) + value[at + 1 :]
        _sql(path, f"UPDATE log_records SET {column} = ? WHERE seq = ?", (changed, seq))  # noqa: S608
        report = log.verify()
        assert not report.ok
        assert report.first_bad_seq == seq


@settings(max_examples=60, deadline=None)
@given(size=sizes, interval=intervals, data=st.data())
def test_any_deleted_record_is_detected(size: int, interval: int, data: st.DataObject) -> None:
    with built_log(size, interval) as (log, path):
        seq = data.draw(st.integers(1, size), label="seq")
        _sql(path, "DELETE FROM log_records WHERE seq = ?", (seq,))
        report = log.verify()
        assert not report.ok
        assert report.first_bad_seq == seq
        assert report.first is not None
        assert report.first.kind == ("truncated" if seq == size else "missing")


@settings(max_examples=60, deadline=None)
@given(size=sizes, interval=intervals, data=st.data())
def test_any_swap_of_two_records_is_detected(size: int, interval: int, data: st.DataObject) -> None:
    with built_log(size, interval) as (log, path):
        a = data.draw(st.integers(1, size - 1), label="a")
        b = data.draw(st.integers(a + 1, size), label="b")
        row_a, row_b = _row(path, a), _row(path, b)
        _sql(path, "UPDATE log_records SET hash = ?, body = ? WHERE seq = ?", (*row_b, a))
        _sql(path, "UPDATE log_records SET hash = ?, body = ? WHERE seq = ?", (*row_a, b))
        report = log.verify()
        assert not report.ok
        assert report.first_bad_seq == a


@settings(max_examples=60, deadline=None)
@given(size=sizes, interval=intervals, data=st.data())
def test_any_truncation_is_detected(size: int, interval: int, data: st.DataObject) -> None:
    with built_log(size, interval) as (log, path):
        keep = data.draw(st.integers(0, size - 1), label="keep")
        _sql(path, "DELETE FROM log_records WHERE seq > ?", (keep,))
        report = log.verify()
        assert not report.ok
        assert report.first_bad_seq == keep + 1
        assert report.first is not None
        assert report.first.kind == "truncated"
