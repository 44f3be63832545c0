"""Ledger benchmarks (issue 9, item 8): transfers/s and latency percentiles.

Scenarios, each on a fresh ledger:

- ``single_1``: one transfer per commit, one client.
- ``single_16``: one transfer per commit, 16 concurrent clients (threads, each
  with its own ledger connection, as 16 service instances would have).
- ``group_commit_16``: 16 threads sharing one ledger through
  :class:`~finmon.ledger.group.GroupCommit` (concurrent single transfers share
  commits; each is still accepted or rejected on its own).
- ``batch_1000``: batches of 1,000 transfers per commit.

Transfers move 1.00 between random pairs of 1,000 funded accounts (with the
"debits must not exceed credits" flag, so limits are checked on every
transfer). SQLite runs with ``synchronous=FULL``: a committed transfer
survives power loss, which is what a book of record needs.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from finmon.core.money import Money
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.ledger.commands import OpenAccount, Transfer
from finmon.ledger.group import GroupCommit
from finmon.ledger.ledger import Ledger
from finmon.ledger.model import Account, AccountType, Flags, Posting

ACCOUNTS = 1000
_SIGNER = Signer.generate()


def _store_maker(
    backend: str, url: str | None, scratch: Path
) -> tuple[Callable[[], LogStore], Callable[[], None]]:
    """A function opening the benchmark's store again, and one dropping it afterwards."""
    if backend == "sqlite":
        from finmon.events.stores.sqlite import SqliteLogStore

        path = scratch / f"bench-{uuid.uuid4().hex[:8]}.db"
        return (lambda: SqliteLogStore(path)), (lambda: None)
    from finmon.events.stores.postgres import PostgresLogStore

    if url is None:
        raise ValueError("the postgres benchmark needs a URL")
    schema = f"bench_ledger_{uuid.uuid4().hex[:8]}"

    def drop() -> None:
        PostgresLogStore(url, schema=schema).drop()

    return (lambda: PostgresLogStore(url, schema=schema)), drop


@contextmanager
def _fresh(backend: str, url: str | None, scratch: Path) -> Iterator[Callable[[], Ledger]]:
    make_store, drop = _store_maker(backend, url, scratch)
    opened: list[Ledger] = []

    def make() -> Ledger:
        ledger = Ledger(Log(make_store(), _SIGNER, checkpoint_interval=1024))
        opened.append(ledger)
        return ledger

    first = make()
    accounts = [Account("bank:cash", AccountType.ASSET, "USD")] + [
        Account(
            f"dep:{i}",
            AccountType.LIABILITY,
            "USD",
            overdraft_limit=0,
            flags=Flags.DEBITS_MUST_NOT_EXCEED_CREDITS,
        )
        for i in range(ACCOUNTS)
    ]
    first.submit_batch([OpenAccount(f"open:{a.id}", a) for a in accounts])
    first.submit_batch([_move("fund", i, "bank:cash", f"dep:{i}", 10**9) for i in range(ACCOUNTS)])
    try:
        yield make
    finally:
        for ledger in opened:
            ledger.close()
        drop()


def _move(prefix: str, n: int, debit: str, credit: str, minor: int = 100) -> Transfer:
    amount = Money(minor, "USD")
    return Transfer(f"{prefix}:{n}", (Posting.debit(debit, amount), Posting.credit(credit, amount)))


def _random_moves(prefix: str, count: int, seed: int) -> list[Transfer]:
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    moves = []
    for n in range(count):
        a, b = rng.sample(range(ACCOUNTS), 2)
        moves.append(_move(prefix, n, f"dep:{a}", f"dep:{b}"))
    return moves


def _summary(latencies: list[float], transfers: int, elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {
        "transfers": transfers,
        "seconds": round(elapsed, 3),
        "transfers_per_second": round(transfers / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def _clients(
    make: Callable[[], Ledger], clients: int, per_client: int, *, group: bool = False
) -> dict[str, Any]:
    """``clients`` threads, each with its own ledger connection, or sharing one GroupCommit."""
    if group:
        shared = GroupCommit(make())
        submitters: list[Callable[[Any], Any]] = [shared.submit] * clients
    else:
        submitters = [make().submit for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    work = [_random_moves(f"c{i}", per_client, i) for i in range(clients)]

    def run(index: int) -> None:
        submit, mine = submitters[index], latencies[index]
        for command in work[index]:
            start = time.perf_counter()
            submit(command)
            mine.append(time.perf_counter() - start)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    flat = [x for mine in latencies for x in mine]
    return {"clients": clients, **_summary(flat, len(flat), elapsed)}


def _batches(make: Callable[[], Ledger], batches: int, size: int) -> dict[str, Any]:
    ledger = make()
    latencies = []
    start = time.perf_counter()
    for b in range(batches):
        commands = _random_moves(f"b{b}", size, 1000 + b)
        t0 = time.perf_counter()
        result = ledger.submit_batch(commands)
        latencies.append(time.perf_counter() - t0)
        assert len(result.accepted) == size  # noqa: S101 - a benchmark of failures is no benchmark
    elapsed = time.perf_counter() - start
    summary = _summary(latencies, batches * size, elapsed)
    summary["batch_size"] = size
    summary["p50_batch_ms"] = summary.pop("p50_ms")
    summary["p99_batch_ms"] = summary.pop("p99_ms")
    summary.pop("mean_ms")
    return summary


def run_benchmarks(backend: str, *, url: str | None = None, scale: float = 1.0) -> dict[str, Any]:
    """Run every scenario on ``backend``; ``scale`` shrinks or grows the transfer counts."""
    single = max(20, int(1000 * scale))
    results: dict[str, Any] = {"backend": backend, "accounts": ACCOUNTS}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with _fresh(backend, url, root) as make:
            results["single_1"] = _clients(make, 1, single)
        with _fresh(backend, url, root) as make:
            results["single_16"] = _clients(make, 16, max(2, single // 8))
        with _fresh(backend, url, root) as make:
            results["group_commit_16"] = _clients(make, 16, max(2, single // 4), group=True)
        with _fresh(backend, url, root) as make:
            results["batch_1000"] = _batches(make, max(1, int(20 * scale)), 1000)
    return results


__all__ = ["ACCOUNTS", "run_benchmarks"]
