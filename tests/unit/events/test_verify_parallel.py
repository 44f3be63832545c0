"""Parallel verify (several processes, one range each) finds exactly what the serial scan finds."""

from __future__ import annotations

import pytest

from finmon.events.log import Log
from finmon.testing import execute_raw, sample_envelopes


@pytest.fixture
def filled(log: Log) -> Log:
    log.append_batch(sample_envelopes(0, 90))
    return log


def test_parallel_verify_of_an_intact_log(filled: Log) -> None:
    report = filled.verify(workers=3)
    assert report.ok, report.to_dict()
    assert report.records_checked == 90


@pytest.mark.parametrize("seq", [1, 31, 89])
def test_parallel_verify_finds_the_first_edit_in_any_range(filled: Log, seq: int) -> None:
    execute_raw(filled.store, "UPDATE log_records SET hash = ? WHERE seq = ?", (bytes(32), seq))
    serial, parallel = filled.verify(workers=1), filled.verify(workers=3)
    assert parallel.first_bad_seq == serial.first_bad_seq == seq
    assert parallel.first is not None
    assert parallel.first.kind == "tampered"


@pytest.mark.parametrize("seq", [31])
def test_parallel_verify_finds_a_gap_on_a_range_boundary(filled: Log, seq: int) -> None:
    execute_raw(filled.store, "DELETE FROM log_records WHERE seq = ?", (seq,))
    report = filled.verify(workers=3)
    assert report.first_bad_seq == seq
    assert report.first is not None
    assert report.first.kind == "missing"
