"""Benchmark: event-log append (one record per commit, and batched) and verify throughput.

Run by ``make bench``; writes ``bench/results/log.json``. Targets (issue 2, this
2-core machine): batched append >= 100,000 records/s on SQLite and >= 50,000/s
on PostgreSQL; verify >= 500,000 records/s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.store.postgres import postgres_reachable
from finmon.testing import postgres_schema, postgres_test_url, sample_envelopes
from finmon.testing.bench import write_results


def _append_batched(log: Log, count: int, batch: int) -> float:
    envelopes = sample_envelopes(0, count)
    started = time.perf_counter()
    for start in range(0, count, batch):
        log.append_batch(envelopes[start : start + batch])
    return count / (time.perf_counter() - started)


def _append_single(log: Log, count: int, offset: int) -> float:
    envelopes = sample_envelopes(offset, count)
    started = time.perf_counter()
    for envelope in envelopes:
        log.append(envelope)
    return count / (time.perf_counter() - started)


def _verify(log: Log, workers: int) -> tuple[float, int]:
    """Median of three runs (this VM's timings vary run to run)."""
    rates = []
    for _ in range(3):
        report = log.verify(workers=workers)
        assert report.ok, report.to_dict()
        rates.append(report.records_per_second)
    return sorted(rates)[1], report.records_checked


def run_backend(
    name: str, make_store: Callable[[str], LogStore], records: int, singles: int
) -> dict[str, object]:
    big = make_store("big_batches")
    big_log = Log(big, Signer.generate(), checkpoint_interval=1024)
    batched_10k = _append_batched(big_log, records // 5, 10_000)
    big.close()
    store = make_store("main")
    log = Log(store, Signer.generate(), checkpoint_interval=1024)
    batched = _append_batched(log, records, 1000)
    single = _append_single(log, singles, records)
    verify_one, checked = _verify(log, workers=1)
    verify_all, _ = _verify(log, workers=os.cpu_count() or 1)
    store.close()
    return {
        "backend": name,
        "append_batched_records_per_s": round(batched),
        "batch_size": 1000,
        "append_batched_10k_records_per_s": round(batched_10k),
        "append_one_per_commit_records_per_s": round(single),
        "verify_records_per_s_1_process": round(verify_one),
        "verify_records_per_s_all_cores": round(verify_all),
        "verify_processes": os.cpu_count() or 1,
        "records_verified": checked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--singles", type=int, default=2_000)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        results.append(
            run_backend(
                "sqlite",
                lambda name: SqliteLogStore(Path(scratch) / f"{name}.db"),
                args.records,
                args.singles,
            )
        )
    url = postgres_test_url()
    reachable, detail = postgres_reachable(url)
    if reachable:
        from finmon.events.stores.postgres import PostgresLogStore

        with postgres_schema(url) as (target, schema):
            results.append(
                run_backend(
                    "postgres",
                    lambda name: PostgresLogStore(target, schema=f"{schema}_{name}"),
                    args.records,
                    args.singles,
                )
            )
    else:
        results.append({"backend": "postgres", "skipped": detail})
    write_results(
        "log",
        "event log",
        {
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
