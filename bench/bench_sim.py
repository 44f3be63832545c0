"""Benchmark: bank-twin generation rate (batch) and streaming publish rate into InProcessBus.

Run by ``make bench``; writes ``bench/results/sim.json``. Target (issue 3, this
2-core machine): >= 1,000,000 transactions/s generated for the ``load-1m``
scenario, measured three ways: the world build (population, merchants...), the
generation of the canonical Arrow tables with labels, and the whole run written
to Parquet. Streaming: transactions/s published as ``transaction.received``
envelopes into an :class:`InProcessBus`, as fast as possible.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from finmon.events.bus import InProcessBus
from finmon.sim import Simulation, generate_dataset, load_scenario, stream_scenario
from finmon.testing.bench import write_results


def bench_batch(scenario_name: str, repeats: int) -> dict[str, object]:
    scenario = load_scenario(scenario_name)
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        sim = Simulation(scenario)
        built = time.perf_counter()
        rows = sum(b.transactions.num_rows for b in sim.batches())
        done = time.perf_counter()
        runs.append((done - built, built - started, rows))
    gen_s, world_s, rows = sorted(runs)[len(runs) // 2]
    with tempfile.TemporaryDirectory() as scratch:
        summary = generate_dataset(scenario, Path(scratch))
    return {
        "scenario": scenario_name,
        "transactions": rows,
        "customers": sim.world.customers,
        "world_build_s": round(world_s, 3),
        "generate_s": round(gen_s, 3),
        "generate_tx_per_s": round(rows / gen_s),
        "generate_including_world_tx_per_s": round(rows / (gen_s + world_s)),
        "write_parquet_total_s": round(summary.seconds, 3),
        "write_parquet_tx_per_s": round(summary.transactions_per_second),
    }


def bench_stream(scenario_name: str) -> dict[str, object]:
    scenario = load_scenario(scenario_name)
    with InProcessBus() as bus:
        stats = stream_scenario(scenario, bus)
    return {"scenario": scenario_name, **stats.to_dict()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="load-1m")
    parser.add_argument("--stream-scenario", default="demo")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    write_results(
        "sim",
        "sim",
        {
            "batch": bench_batch(args.scenario, args.repeats),
            "stream": bench_stream(args.stream_scenario),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
