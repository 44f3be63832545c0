"""Benchmark: ledger transfers/s and p50/p99 latency on SQLite and PostgreSQL.

Scenarios (issue 9, item 8): one transfer per commit with 1 and 16 concurrent
clients, and batches of 1,000 transfers per commit; see
:mod:`finmon.ledger.bench`. Writes ``bench/results/ledger.json``. The same
figures come from ``finmon ledger bench --backend sqlite|postgres --json``.

Targets (issue 9): PostgreSQL batched >= 20,000 transfers/s; one per commit
with 16 clients >= 3,000/s at p99 < 20 ms; SQLite batched >= 50,000/s.
"""

from __future__ import annotations

import argparse

from finmon.ledger.bench import run_benchmarks
from finmon.store.postgres import postgres_reachable
from finmon.testing import postgres_test_url
from finmon.testing.bench import write_results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply transfer counts")
    args = parser.parse_args()
    results = [run_benchmarks("sqlite", scale=args.scale)]
    url = postgres_test_url()
    reachable, detail = postgres_reachable(url)
    if reachable:
        results.append(run_benchmarks("postgres", url=url, scale=args.scale))
    else:
        results.append({"backend": "postgres", "skipped": detail})
    write_results(
        "ledger",
        "ledger",
        {
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
