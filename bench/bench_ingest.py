"""Benchmark: validation, file ingestion (validated rows/s into the log) and SQL poll rates.

Run as ``.venv/bin/python bench/bench_ingest.py``; writes ``bench/results/ingest.json``.
Target (issue 3, this 2-core machine): validation well above 50,000 rows/s; file
ingestion is bounded by the log's batched append (see bench/results/log.json),
since every row becomes one hash-chained record.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from finmon.core.settings import load_settings
from finmon.events.factory import open_log
from finmon.sources.canonical import TRANSACTION_COLUMNS
from finmon.sources.coerce import coerce_table
from finmon.sources.files import ingest_file
from finmon.sources.samples import sample_transactions, write_table
from finmon.sources.sql import SqlPoller, SqlSource, engine_url
from finmon.sources.sqlstate import SqlState
from finmon.sources.validate import TransactionValidator
from finmon.sources.warehouse import write_warehouse_table
from finmon.store.postgres import postgres_reachable
from finmon.testing import postgres_test_url
from finmon.testing.bench import write_results


def _best_of(runs: int, measure: Callable[[], float]) -> float:
    return max(measure() for _ in range(runs))


def bench_validation(rows: int) -> dict[str, object]:
    table = sample_transactions(rows)

    def once() -> float:
        validator = TransactionValidator()
        started = time.perf_counter()
        for batch in table.to_batches(50_000):
            result = validator.validate(coerce_table(batch, TRANSACTION_COLUMNS))
            assert not result.bad
        return rows / (time.perf_counter() - started)

    return {"rows": rows, "validated_rows_per_s": round(_best_of(3, once))}


def bench_file(fmt: str, rows: int, scratch: Path) -> dict[str, object]:
    path = write_table(scratch / fmt / f"transactions.{fmt}", sample_transactions(rows))
    log = open_log(load_settings(data_dir=scratch / fmt / "data"))
    report = ingest_file(path, log)
    assert report.accepted == rows, report.to_dict()
    again = ingest_file(path, log)  # every row a duplicate: validation + de-duplication only
    log.store.close()
    return {
        "format": fmt,
        "rows": rows,
        "file_bytes": path.stat().st_size,
        "ingest_rows_per_s": round(report.rows_per_s),
        "elapsed_s": round(report.elapsed_s, 2),
        "reimport_all_duplicates_rows_per_s": round(again.rows_per_s),
    }


def bench_sql(name: str, url: str, rows: int, scratch: Path) -> dict[str, object]:
    started = time.perf_counter()
    write_warehouse_table(url, "bench_transactions", sample_transactions(rows))
    write_s = time.perf_counter() - started
    data = scratch / f"sql-{name}"
    log = open_log(load_settings(data_dir=data))
    source = SqlSource(url, "row_id", "row_id", table="bench_transactions", batch_size=5_000)
    poller = SqlPoller(source, log, SqlState(data / "sources.db"))
    started = time.perf_counter()
    total = poller.run(once=True)
    elapsed = time.perf_counter() - started
    poller.close()
    log.store.close()
    assert total.accepted == rows, total.to_dict()
    return {
        "source": name,
        "rows": rows,
        "batch_size": 5_000,
        "poll_rows_per_s": round(rows / elapsed),
        "warehouse_write_rows_per_s": round(rows / write_s),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--sql-rows", type=int, default=100_000)
    args = parser.parse_args()
    results: dict[str, object] = {"validation": bench_validation(args.rows)}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        results["files"] = [bench_file(fmt, args.rows, scratch) for fmt in ("csv", "parquet")]
        sql = [bench_sql("sqlite", f"sqlite:///{scratch / 'wh.db'}", args.sql_rows, scratch)]
        url = postgres_test_url()
        reachable, detail = postgres_reachable(url)
        if reachable:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            engine = sa.create_engine(engine_url(url))
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            try:
                scoped = url + f"?options=-csearch_path%3D{schema}"
                sql.append(bench_sql("postgres", scoped, args.sql_rows, scratch))
            finally:
                with engine.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()
        else:
            sql.append({"source": "postgres", "skipped": detail})
        results["sql"] = sql
    write_results(
        "ingest",
        "ingestion",
        {
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
