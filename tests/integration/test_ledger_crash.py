"""A writer process killed with SIGKILL mid-stream, then restarted re-sending everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.events.stores.postgres import PostgresLogStore
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.ledger import Ledger, trial_balance, verify_ledger
from finmon.ledger.journal import POSTED

BATCHES, SIZE = 12, 40


def _writer(store: LogStore, key: Path) -> subprocess.Popen[str]:
    if isinstance(store, SqliteLogStore):
        target = ["--sqlite", str(store.path)]
    else:
        assert isinstance(store, PostgresLogStore)
        target = ["--postgres", store.url, "--schema", store.schema]
    command = [sys.executable, "-m", "finmon.ledger.loadgen", "--key", str(key), *target]
    return subprocess.Popen(
        [*command, "--batches", str(BATCHES), "--batch-size", str(SIZE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _posted_keys(ledger: Ledger) -> Counter[str]:
    return Counter(
        str(record.envelope().payload["key"])
        for record in ledger.log.read()
        if record.envelope().type == POSTED
    )


def test_kill_9_then_resend_loses_and_duplicates_nothing(
    store_factory: Callable[[], LogStore], tmp_path: Path
) -> None:
    key = tmp_path / "keys" / "ledger.key"
    signer = Signer.load_or_create(key)
    store = store_factory()
    process = _writer(store, key)
    assert process.stdout is not None
    for _ in range(3):
        line = process.stdout.readline()
        assert line.startswith("committed"), process.stderr.read() if process.stderr else line
    time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)

    ledger = Ledger(Log(store_factory(), signer, checkpoint_interval=64))
    try:
        assert verify_ledger(ledger).ok
        transfers = [k for k in _posted_keys(ledger) if k.startswith("lg:")]
        assert len(transfers) % SIZE == 0, "a batch was half-written"

        again = _writer(store, key)  # re-sends every batch, committed or not
        _, stderr = again.communicate(timeout=120)
        assert again.returncode == 0, stderr
        report = verify_ledger(ledger, deep=True)
        assert report.ok, report.to_dict()
        assert trial_balance(ledger.all_balances()).balanced
        counts = _posted_keys(ledger)
        assert sum(1 for k in counts if k.startswith("lg:")) == BATCHES * SIZE
        assert max(counts.values()) == 1
    finally:
        ledger.close()
