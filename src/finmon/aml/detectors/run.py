"""Run every detector over a dataset directory; write findings; evaluate against labels.

What ``finmon aml detect`` and ``finmon aml evaluate`` call (and benchmarks,
and ``finmon demo`` later): the CLI only parses options and prints.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finmon.aml.detectors import AmlDetectors, default_detectors, latest
from finmon.aml.detectors.base import Finding
from finmon.aml.detectors.context import AmlContext
from finmon.aml.detectors.evaluation import (
    instances_from,
    ring_account_recall,
    score_findings,
)
from finmon.aml.detectors.lists import default_list_dir, read_lists
from finmon.aml.detectors.profile import NameMatcher
from finmon.core.errors import ValidationError
from finmon.monitor.dataset import Dataset
from finmon.monitor.transaction import from_micros, iter_table

#: The contract columns of ``finmon aml detect`` (lists as JSON arrays, times ISO-8601 UTC).
FINDING_COLUMNS = (
    "finding_id",
    "typology",
    "score",
    "account_ids",
    "transaction_ids",
    "first_event_at",
    "detected_at",
)


@dataclass(frozen=True, slots=True)
class Run:
    """One pass of every detector over a dataset."""

    findings: list[Finding]
    versions: list[Finding]
    transactions: int
    seconds: float
    listed_names: int


def sanctioned_names(paths: Sequence[Path] | None) -> list[str]:
    """Names from ``paths``, or from the default list folder when none are given."""
    if paths:
        return read_lists(paths)
    folder = default_list_dir()
    return read_lists([folder]) if folder is not None else []


def run_dataset(
    dataset: Dataset,
    *,
    sanctions: Sequence[Path] | None = None,
    name_matcher: NameMatcher | None = None,
) -> Run:
    """Stream every transaction of ``dataset`` through every detector, in event time.

    ``name_matcher`` (the screener over loaded lists) takes precedence over the
    exact-name matcher built from ``sanctions`` files.
    """
    context = AmlContext.load(dataset.directory, dataset.reference)
    names = sanctioned_names(sanctions) if name_matcher is None else []
    detectors = AmlDetectors(
        default_detectors(context, sanctioned_names=names, name_matcher=name_matcher)
    )
    started = time.perf_counter()
    versions = list(detectors.stream(iter_table(dataset.transactions)))
    seconds = time.perf_counter() - started
    return Run(latest(versions), versions, dataset.transactions.num_rows, seconds, len(names))


def _iso(micros: int) -> str:
    return from_micros(micros).isoformat().replace("+00:00", "Z")


def finding_row(found: Finding) -> dict[str, Any]:
    """A finding as one contract row (plus narrative and parameters, after the contract)."""
    return {
        "finding_id": found.finding_id,
        "typology": found.typology,
        "score": found.score,
        "account_ids": json.dumps(list(found.account_ids)),
        "transaction_ids": json.dumps(list(found.transaction_ids)),
        "first_event_at": _iso(found.first_event_at),
        "detected_at": _iso(found.detected_at),
        "narrative": found.narrative,
        "parameters": json.dumps(dict(found.parameters), sort_keys=True),
    }


def write_findings(findings: Iterable[Finding], out: Path) -> int:
    """Write one CSV row per finding (``.jsonl`` for a JSON-lines file); the row count."""
    if out.suffix.lower() not in (".csv", ".jsonl"):
        raise ValidationError(
            f"--out {out}: write .csv or .jsonl", field="out", code="unsupported_format"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [finding_row(f) for f in findings]
    with out.open("w", encoding="utf-8", newline="") as handle:
        if out.suffix.lower() == ".jsonl":
            for row in rows:
                handle.write(json.dumps(row) + "\n")
        else:
            writer = csv.DictWriter(
                handle, fieldnames=[*FINDING_COLUMNS, "narrative", "parameters"]
            )
            writer.writeheader()
            writer.writerows(rows)
    return len(rows)


def evaluate_run(dataset: Dataset, run: Run) -> dict[str, Any]:
    """Per-typology recall, precision and time to alert (rules: evaluation module)."""
    if dataset.ground_truth is None:
        raise ValidationError(
            f"{dataset.directory} has no ground_truth file to evaluate against",
            field="data",
            code="unlabelled",
        )
    instances = instances_from(dataset.ground_truth)
    scores = score_findings(run.versions, instances)
    rows = [s.to_dict() for s in scores.values()]
    labelled = {i.typology for i in instances}
    findings = [f for f in run.findings if f.typology in labelled]
    matched = {t for i in instances for t in i.transaction_ids}
    any_hits = sum(bool(set(f.transaction_ids) & matched) for f in run.findings)
    rings = {
        i.instance_id: round(r, 4)
        for i in instances
        if len(i.account_ids) >= 100 and (r := ring_account_recall(run.findings, i)) is not None
    }
    return {
        "transactions": run.transactions,
        "seconds": round(run.seconds, 2),
        "tx_per_second": round(run.transactions / run.seconds) if run.seconds else None,
        "listed_names": run.listed_names,
        "instances": len(instances),
        "findings": len(run.findings),
        "findings_on_labelled_typologies": len(findings),
        "precision_any": round(any_hits / len(run.findings), 4) if run.findings else None,
        "typologies": rows,
        "ring_account_recall": rings,
    }


__all__ = [
    "FINDING_COLUMNS",
    "Run",
    "evaluate_run",
    "finding_row",
    "run_dataset",
    "sanctioned_names",
    "write_findings",
]
