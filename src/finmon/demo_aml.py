"""The demo's AML stage: every AML detector and the sanctions screener over the demo bank.

Three steps, after the monitoring engine has streamed the bank:

1. **Lists** (before the monitoring stage, whose engine screens inline
   against the same store). The data dir's list store (``<data_dir>/screening``, what
   ``finmon lists load`` fills) is used as it is; when it holds no active list
   and the shared sample folder exists (:func:`finmon.sim.sanctions.shared_data_dir`),
   the sample OFAC SDN list (``sanctions/ofac_sdn_2021-07``) is loaded into it
   first. With no list at all, screening is skipped and said so; the detectors
   still run (their sanctions detector falls back to the exact-name lists, if any).
2. **Detectors.** :func:`finmon.aml.detectors.run.run_dataset` streams the
   bank through every AML detector (the sanctions detector screening
   counterparties with the real screener when lists are loaded), and
   :func:`~finmon.aml.detectors.run.evaluate_run` scores the findings against
   the simulator's labels: instance recall and finding precision per typology.
3. **Screening.** The bank's distinct counterparty names are screened once,
   each timed on its own: how many matched, and the p50 / p99 latency per name.
   Labelled sanctioned payments say which names should match.

Nothing here decides the demo's exit code: detection quality is reported, not judged.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finmon.aml.detectors.evaluation import AML_TYPOLOGIES
from finmon.aml.detectors.run import Run, evaluate_run, run_dataset
from finmon.aml.detectors.screening_matcher import ScreenerMatcher
from finmon.aml.screening import ListStore, Screener
from finmon.core.errors import ValidationError
from finmon.core.settings import Settings
from finmon.monitor.dataset import Dataset, load_dataset
from finmon.sim.sanctions import shared_data_dir

#: The sample list the demo loads when the data dir holds none (under ``<shared>/sanctions``).
SAMPLE_LIST = "ofac_sdn_2021-07"
_LOADED_BY = "finmon-demo"
_EXAMPLES = 3


def screening_dir(settings: Settings) -> Path:
    """The data dir's list store (the one ``finmon lists`` and ``finmon aml`` use)."""
    return settings.data_dir / "screening"


def sample_list() -> Path | None:
    """The shared sample OFAC SDN folder, or None when the shared data is absent."""
    shared = shared_data_dir()
    if shared is None:
        return None
    folder = shared / "sanctions" / SAMPLE_LIST
    return folder if folder.is_dir() else None


def ensure_lists(store: ListStore) -> dict[str, Any]:
    """Load the sample list when the store holds none; say which lists are active.

    ``skipped`` (a sentence) when no list is active afterwards: screening is then skipped.
    """
    loaded_now: str | None = None
    problem: str | None = None
    if not store.active():
        folder = sample_list()
        if folder is None:
            problem = (
                "no sanctions list loaded and no shared sample folder "
                f"(sanctions/{SAMPLE_LIST}; set FINMON_SHARED_DATA or run finmon lists load)"
            )
        else:
            try:
                store.load(folder, "ofac", loaded_by=_LOADED_BY)
                loaded_now = str(folder)
            except ValidationError as exc:
                problem = f"the sample list {folder} did not load: {exc.message}"
    active = [{"list": v.list, "version": v.version, "entries": v.entries} for v in store.active()]
    out: dict[str, Any] = {"store": str(store.root), "loaded_now": loaded_now, "active": active}
    if not active:
        out["skipped"] = problem or "no sanctions list is active"
    return out


def _percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def _labelled_sanctioned_names(dataset: Dataset) -> set[str]:
    """Counterparty names of transactions the simulator labelled sanctioned_counterparty."""
    labels = dataset.labels
    if labels is None or not {"typology", "transaction_id"} <= set(labels.schema.names):
        return set()
    ids = labels.filter(pc.equal(labels.column("typology"), "sanctioned_counterparty")).column(
        "transaction_id"
    )
    tx = dataset.transactions
    rows = tx.filter(pc.is_in(tx.column("transaction_id"), value_set=ids))
    return {str(n) for n in rows.column("counterparty_name").to_pylist() if n}


def screen_counterparties(screener: Screener, dataset: Dataset) -> dict[str, Any]:
    """Screen each distinct counterparty name once; matches and latency per name."""
    column = dataset.transactions.column("counterparty_name")
    names = sorted({str(n) for n in pc.unique(column).to_pylist() if n})
    should_match = _labelled_sanctioned_names(dataset)
    latencies: list[float] = []
    matched: list[tuple[str, Any]] = []
    refused = 0
    started = time.perf_counter()
    for name in names:
        begin = time.perf_counter_ns()
        try:
            best = screener.screen(name, limit=1)
        except ValidationError:
            best = []
            refused += 1
        latencies.append((time.perf_counter_ns() - begin) / 1000)
        if best and best[0].is_match:
            matched.append((name, best[0]))
    seconds = time.perf_counter() - started
    latencies.sort()
    hits = {name for name, _ in matched}
    strongest = sorted(matched, key=lambda item: -item[1].score)[:_EXAMPLES]
    return {
        "names": len(names),
        "matched": len(matched),
        "refused": refused,
        "labelled_sanctioned_names": len(should_match),
        "labelled_sanctioned_matched": len(should_match & hits),
        "matched_unlabelled": len(hits - should_match),
        "seconds": round(seconds, 3),
        "latency_p50_us": _round(_percentile(latencies, 0.50)),
        "latency_p99_us": _round(_percentile(latencies, 0.99)),
        "examples": [
            {
                "name": name,
                "listed": match.primary_name,
                "list": match.list,
                "score": round(float(match.score), 1),
            }
            for name, match in strongest
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _typologies(table: pa.Table | None) -> list[str]:
    """The ``typology`` column of a labels or ground-truth table (none when it has no rows)."""
    if table is None or "typology" not in table.schema.names:
        return []
    return [str(t) for t in table.column("typology").to_pylist() if t]


def by_typology(run: Run, evaluation: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """typology -> findings, and (when labelled) instances, detected, recall, precision."""
    found = Counter(f.typology for f in run.findings)
    rows = {r["typology"]: r for r in (evaluation or {}).get("typologies", [])}
    out: dict[str, dict[str, Any]] = {}
    for typology in sorted(set(found) | set(rows)):
        row = rows.get(typology, {})
        out[typology] = {
            "findings": found.get(typology, 0),
            "instances": row.get("instances", 0),
            "detected": row.get("detected", 0),
            "recall": row.get("recall"),
            "precision": row.get("precision"),
            "missed_instances": row.get("missed_instances", []),
        }
    return out


def prepare_lists(settings: Settings) -> dict[str, Any]:
    """Load the sample list into the data dir's store if it holds none (see :func:`ensure_lists`).

    The demo calls this *before* the monitoring stage: the engine screens
    counterparties inline against the loaded lists, so every run of the demo,
    the first included, monitors with the same lists.
    """
    return ensure_lists(ListStore(screening_dir(settings)))


def run_aml(
    settings: Settings, simulated: dict[str, Any], lists: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Detectors and screening: the ``aml`` section of the demo's report.

    ``lists``: what :func:`prepare_lists` reported (called here when not given).
    """
    started = time.perf_counter()
    dataset = load_dataset(Path(simulated["out"]))
    store = ListStore(screening_dir(settings))
    lists = dict(lists) if lists is not None else ensure_lists(store)
    screener: Screener | None = None
    if "skipped" not in lists:
        begin = time.perf_counter()
        screener = store.screener()
        lists["screener_seconds"] = round(time.perf_counter() - begin, 2)
    matcher = ScreenerMatcher(screener) if screener is not None else None
    run = run_dataset(dataset, name_matcher=matcher)
    evaluation = evaluate_run(dataset, run) if dataset.ground_truth is not None else None
    labelled = sorted({t for t in _typologies(dataset.ground_truth) if t in AML_TYPOLOGIES})
    screening = (
        screen_counterparties(screener, dataset)
        if screener is not None
        else {"skipped": lists["skipped"]}
    )
    summary = {k: v for k, v in (evaluation or {}).items() if k != "typologies"}
    return {
        "lists": lists,
        "detectors": {
            "sanctions_matcher": "screener over loaded lists" if matcher else "exact names",
            "transactions": run.transactions,
            "seconds": round(run.seconds, 2),
            "findings": len(run.findings),
            "labelled_typologies": labelled,
        },
        "typologies": by_typology(run, evaluation),
        "evaluation": summary if evaluation is not None else None,
        "screening": screening,
        "seconds": round(time.perf_counter() - started, 2),
    }


__all__ = [
    "SAMPLE_LIST",
    "by_typology",
    "ensure_lists",
    "prepare_lists",
    "run_aml",
    "sample_list",
    "screen_counterparties",
    "screening_dir",
]
