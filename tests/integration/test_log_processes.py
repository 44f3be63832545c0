"""Real processes against real databases: a kill -9 mid-batch, and two writers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.events.stores.postgres import PostgresLogStore
from finmon.events.stores.sqlite import SqliteLogStore


def _target_args(store: LogStore) -> list[str]:
    if isinstance(store, SqliteLogStore):
        return ["--sqlite", str(store.path)]
    assert isinstance(store, PostgresLogStore)
    return ["--postgres", store.url, "--schema", store.schema]


def _writer(store: LogStore, key: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "finmon.testing.log_writer", "--key", str(key)]
    return subprocess.Popen(
        [*command, *_target_args(store), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for_progress(process: subprocess.Popen[str], lines: int) -> None:
    assert process.stdout is not None
    for _ in range(lines):
        line = process.stdout.readline()
        assert line.startswith("appended"), process.stderr.read() if process.stderr else line


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "log.key"
    Signer.load_or_create(path)
    return path


def test_kill_9_mid_batch_leaves_a_verifiable_gapless_log(
    store_factory: Callable[[], LogStore], key_path: Path
) -> None:
    store = store_factory()
    signer = Signer.load(key_path)
    start = 0
    for round_number in range(3):
        process = _writer(
            store, key_path, "--start", str(start), "--batches", "1000", "--batch-size", "500"
        )
        _wait_for_progress(process, 2 + round_number)
        time.sleep(0.01 * round_number)  # land the kill at different points of a batch
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)  # reaps it and closes its pipes
        log = Log(store_factory(), signer, checkpoint_interval=64)
        report = log.verify(deep=True)
        assert report.ok, report.to_dict()
        head = log.head().seq
        assert head % 500 == 0, "a batch was half-written"
        assert [r.seq for r in log.read()] == list(range(1, head + 1))
        start = head
    log.append_batch([])
    assert log.verify().ok


def test_two_writer_processes_never_fork_the_chain(
    store_factory: Callable[[], LogStore], key_path: Path
) -> None:
    store = store_factory()
    store.head()  # create the schema before the writers race
    writers = [
        _writer(store, key_path, "--start", str(offset), "--batches", "30", "--batch-size", "50")
        for offset in (0, 1_000_000)
    ]
    for process in writers:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    log = Log(store_factory(), Signer.load(key_path), checkpoint_interval=64)
    report = log.verify(deep=True)
    assert report.ok, report.to_dict()
    assert log.head().seq == 2 * 30 * 50
    payload_ns = sorted(record.envelope().payload["n"] for record in log.read())
    assert payload_ns == sorted([*range(1500), *range(1_000_000, 1_001_500)])
    checkpoints = log.checkpoints()
    assert all(
        b.seq_from == a.seq_to + 1 for a, b in zip(checkpoints, checkpoints[1:], strict=False)
    )
