"""Benchmark: AML typology detection, streaming (per transaction) and batch (history).

Writes ``bench/results/aml.json``. The ``holdout`` bank (196k transactions,
generated into a scratch directory unless ``--data`` names one) is streamed
through every detector in event-time order, one transaction at a time, as the
live path does: total throughput, per-detector throughput (each alone, so
what each one costs is visible) and the per-transaction latency percentiles
of the whole set. Batch detection (``AmlDetectors.detect`` on the Arrow table:
sort, convert, replay) is timed end to end. The evaluation figures per
typology on the same data are recorded next to the speed, so a faster
detector that stops finding things shows here.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from finmon.aml.detectors import AmlDetectors, default_detectors
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.evaluation import instances_from, score_findings
from finmon.aml.detectors.run import sanctioned_names
from finmon.monitor.dataset import load_dataset
from finmon.monitor.transaction import iter_table
from finmon.testing.bench import write_results


def _data(path: Path | None, scratch: Path) -> Path:
    if path is not None:
        return path
    from finmon.sim import generate_dataset, load_scenario

    out = scratch / "holdout"
    generate_dataset(load_scenario("holdout"), out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="a dataset dir (default: holdout)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = _data(args.data, Path(scratch))
        dataset = load_dataset(directory)
        context = AmlContext.load(directory, dataset.reference)
        names = sanctioned_names(None)
        txns = list(iter_table(dataset.transactions))
        n = len(txns)

        detectors = AmlDetectors(default_detectors(context, sanctioned_names=names))
        latencies = np.empty(n, dtype=np.int64)
        versions = []
        started = time.perf_counter()
        for i, txn in enumerate(txns):
            tick = time.perf_counter_ns()
            versions.extend(detectors.observe(txn))
            latencies[i] = time.perf_counter_ns() - tick
        stream_s = time.perf_counter() - started

        per_detector: dict[str, Any] = {}
        for detector in default_detectors(context, sanctioned_names=names):
            t0 = time.perf_counter()
            for txn in txns:
                detector.observe(txn)
            seconds = time.perf_counter() - t0
            per_detector[detector.typology] = {
                "seconds": round(seconds, 3),
                "tx_per_second": round(n / seconds),
            }

        t0 = time.perf_counter()
        batch = AmlDetectors(default_detectors(context, sanctioned_names=names)).detect(
            dataset.transactions
        )
        batch_s = time.perf_counter() - t0

        scores = {}
        if dataset.ground_truth is not None:
            instances = instances_from(dataset.ground_truth)
            scores = {k: v.to_dict() for k, v in score_findings(versions, instances).items()}
        write_results(
            "aml",
            "AML typology detection: streaming and batch over the holdout bank",
            {
                "data": str(args.data or "scenario holdout (generated)"),
                "transactions": n,
                "detectors": len(detectors.detectors),
                "listed_names": len(names),
                "streaming": {
                    "seconds": round(stream_s, 2),
                    "tx_per_second": round(n / stream_s),
                    "latency_us": {
                        f"p{q}": round(float(np.percentile(latencies, q)) / 1000, 1)
                        for q in (50, 95, 99, 99.9)
                    },
                    "max_latency_ms": round(float(latencies.max()) / 1e6, 2),
                },
                "per_detector": per_detector,
                "batch": {
                    "seconds": round(batch_s, 2),
                    "tx_per_second": round(n / batch_s),
                    "findings": len(batch),
                },
                "typologies": scores,
            },
        )


if __name__ == "__main__":
    main()
