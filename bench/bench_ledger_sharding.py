"""Benchmark: cross-shard transfers/s over 2 PostgreSQL shards (2PC), issue 9 item 8(c).

Every transfer moves money between an account on shard 0 and one on shard 1,
so each is a full two-phase commit: coordinator row, a leg prepared on each
shard, the commit decision, COMMIT PREPARED on each. Shards are schemas of the
test database (FINMON_TEST_POSTGRES_URL), dropped afterwards. Needs
max_prepared_transactions > 0 (`make postgres-2pc`). Target: >= 1,000/s.
Writes ``bench/results/ledger_sharding.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from finmon.core.money import Money
from finmon.ledger.sharding import CoordinatorLog, ShardedLedger, ShardSpec
from finmon.testing import postgres_schema, postgres_test_url

RESULTS = Path(__file__).parent / "results"
ACCOUNTS = 200  # per shard


def _accounts(ledger: ShardedLedger) -> list[list[str]]:
    by_shard: list[list[str]] = [[], []]
    n = 0
    while min(len(a) for a in by_shard) < ACCOUNTS:
        account = f"cust-{n}"
        n += 1
        shard = ledger.shard_for(account)
        if len(by_shard[shard]) < ACCOUNTS:
            ledger.open_account(account, "USD")  # no limit: the bench measures 2PC, not refusals
            by_shard[shard].append(account)
    return by_shard


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(clients: int, per_client: int) -> dict[str, object]:
    with postgres_schema(postgres_test_url()) as (url, schema):
        shards = [ShardSpec(f"{schema}_s{i}", url, f"{schema}_s{i}") for i in range(2)]
        coord = (url, f"{schema}_coord")
        setup = ShardedLedger(shards, CoordinatorLog(*coord))
        setup.setup()
        by_shard = _accounts(setup)
        latencies: list[float] = []
        lock = threading.Lock()

        def client(c: int) -> None:
            ledger = ShardedLedger(shards, CoordinatorLog(*coord))
            mine: list[float] = []
            try:
                for i in range(per_client):
                    a = by_shard[0][(c * 6 + i % 6) % ACCOUNTS]
                    b = by_shard[1][(c * 6 + i % 6) % ACCOUNTS]
                    src, dst = (a, b) if i % 2 else (b, a)
                    start = time.perf_counter()
                    ledger.transfer(f"b-{c}-{i}", src, dst, Money(100, "USD"))
                    mine.append(time.perf_counter() - start)
            finally:
                ledger.close()
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        problems = setup.check()
        setup.close()
    return {
        "scenario": "cross_shard_2pc",
        "shards": 2,
        "clients": clients,
        "transfers": len(latencies),
        "transfers_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "books_ok": problems == [],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 16])
    parser.add_argument("--per-client", type=int, default=250)
    args = parser.parse_args()
    results = [run(c, args.per_client) for c in args.clients]
    document = {
        "benchmark": "ledger_sharding",
        "at": datetime.now(UTC).isoformat(),
        "machine": platform.platform(),
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ledger_sharding.json").write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if all(r["books_ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
