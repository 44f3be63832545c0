"""Soak (make test-slow): many kill -9 rounds at random points, on every store.

The seed is printed so a failing run can be replayed with FINMON_SOAK_SEED.
"""

from __future__ import annotations

import os
import random
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


def _target(store: LogStore) -> list[str]:
    if isinstance(store, SqliteLogStore):
        return ["--sqlite", str(store.path)]
    assert isinstance(store, PostgresLogStore)
    return ["--postgres", store.url, "--schema", store.schema]


@pytest.mark.slow
def test_many_random_kills_never_break_the_log(
    store_factory: Callable[[], LogStore], tmp_path: Path
) -> None:
    seed = int(os.environ.get("FINMON_SOAK_SEED", random.SystemRandom().randrange(2**32)))
    print(f"soak seed {seed}")  # noqa: T201 - the replay handle
    rng = random.Random(seed)
    key = tmp_path / "log.key"
    signer = Signer.load_or_create(key)
    store = store_factory()
    start = 0
    for _ in range(25):
        batch = rng.choice([1, 7, 100, 1000, 3000])
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "finmon.testing.log_writer",
                "--key",
                str(key),
                *_target(store),
                "--start",
                str(start),
                "--batches",
                "100000",
                "--batch-size",
                str(batch),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.3, 1.5))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        log = Log(store_factory(), signer, checkpoint_interval=64)
        report = log.verify(deep=True)
        assert report.ok, (seed, report.to_dict())
        head = log.head().seq
        assert (head - start) % batch == 0, (seed, "half a batch was written")
        start = head
