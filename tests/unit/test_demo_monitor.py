"""The demo's monitoring stage: trained on another bank, every transaction decided once.

One small demo (3,000 transactions: a smaller demo bank holds no fraud yet)
runs in-process per module; the tests read its ``monitor`` section, run it
again on the same data dir (the champion is reused, decisions start afresh),
and stream once more through a terminal console to see the live table. The
CLI contract of the whole demo (exit code, one JSON document) is tested in
``test_cli.py``.
"""

from __future__ import annotations

import copy
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from finmon.core.settings import Settings
from finmon.demo import demo_ok, run_demo
from finmon.demo_monitor import (
    TRAIN_SEED_OFFSET,
    DecisionTally,
    evaluate,
    stream,
    training_bank,
)
from finmon.events.envelope import Envelope
from finmon.events.factory import open_log
from finmon.monitor.dataset import load_dataset

TRANSACTIONS = 3000
DETECTORS = ("rules", "model", "combined")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data")
    return settings, run_demo(settings, transactions=TRANSACTIONS)


def test_every_streamed_transaction_is_decided_exactly_once(
    demo_run: tuple[Settings, dict[str, Any]],
) -> None:
    _, result = demo_run
    streamed = result["monitor"]["stream"]
    assert streamed["transactions"] == TRANSACTIONS
    assert streamed["streamed"] == streamed["decided"] == TRANSACTIONS
    assert streamed["decisions_stored"] == streamed["decision_events"] == TRANSACTIONS
    assert streamed["decided_exactly_once"] is True
    assert sum(streamed["decisions_by_outcome"].values()) == TRANSACTIONS
    assert sum(streamed["alerts_by_typology"].values()) == streamed["alerts"]
    assert streamed["model_version"] == result["monitor"]["model"]["version"]
    assert streamed["degraded"] == 0  # the model took part in every decision
    assert streamed["latency_p50_us"] <= streamed["latency_p99_us"]
    assert streamed["late_events"]["too_late"] == 0  # the log's order is event-time order
    assert demo_ok(result)


def test_the_model_is_never_evaluated_on_its_training_bank(
    demo_run: tuple[Settings, dict[str, Any]],
) -> None:
    _, result = demo_run
    monitor = result["monitor"]
    seed = result["simulation"]["seed"]
    assert monitor["model"]["trained"] is True
    assert monitor["model"]["training_seed"] == seed + TRAIN_SEED_OFFSET
    assert monitor["model"]["training_source"] != monitor["stream"]["source"]
    assert monitor["evaluation"]["source"] == monitor["stream"]["source"]
    assert monitor["evaluation"]["model_version"] == monitor["model"]["version"]
    assert monitor["evaluated_on_unseen_bank"] is True


def test_evaluation_reports_rules_model_and_combined(
    demo_run: tuple[Settings, dict[str, Any]],
) -> None:
    _, result = demo_run
    evaluation = result["monitor"]["evaluation"]
    for name in DETECTORS:
        report = evaluation[name]
        assert report["transactions"] == TRANSACTIONS
        assert report["positives"] > 0
        assert 0.0 <= report["pr_auc"] <= 1.0
        assert 0.0 <= report["recall_at_fpr_1pct"] <= 1.0
        assert report["alert_precision"] is None or 0.0 <= report["alert_precision"] <= 1.0
        assert report["per_typology"]
        for row in report["per_typology"].values():
            assert 0.0 <= row["instance_recall"] <= 1.0
    # The streaming engine and the column-wise evaluation alert on the same transactions.
    assert evaluation["combined"]["alerts"] == result["monitor"]["stream"]["alerts"]


def test_a_second_run_reuses_the_champion_and_decides_afresh(
    demo_run: tuple[Settings, dict[str, Any]],
) -> None:
    settings, first = demo_run
    again = run_demo(settings, transactions=TRANSACTIONS)
    model = again["monitor"]["model"]
    assert model["trained"] is False
    assert model["version"] == first["monitor"]["model"]["version"]
    assert again["monitor"]["stream"]["decided_exactly_once"] is True
    assert again["monitor"]["stream"]["alerts"] == first["monitor"]["stream"]["alerts"]
    assert demo_ok(again)


def test_the_live_table_is_drawn_on_a_terminal(
    demo_run: tuple[Settings, dict[str, Any]],
) -> None:
    settings, result = demo_run
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    log = open_log(settings)
    try:
        streamed = stream(
            settings, log, load_dataset(Path(result["simulation"]["out"])), console=terminal
        )
    finally:
        log.store.close()
    assert "(live)" in screen.getvalue()
    assert streamed["decided_exactly_once"] is True


def test_evaluating_on_the_training_bank_is_refused(
    demo_run: tuple[Settings, dict[str, Any]],
) -> None:
    settings, result = demo_run
    bank = training_bank(settings, result["simulation"]["seed"], TRANSACTIONS)
    assert bank.source == result["monitor"]["model"]["training_source"]
    refused = evaluate(settings, load_dataset(bank.directory), bank.source)
    assert "trained on" in refused["refused"]


def test_a_failed_guarantee_fails_the_demo(demo_run: tuple[Settings, dict[str, Any]]) -> None:
    _, result = demo_run
    twice = copy.deepcopy(result)
    twice["monitor"]["stream"]["decided_exactly_once"] = False
    assert not demo_ok(twice)
    seen = copy.deepcopy(result)
    seen["monitor"]["evaluated_on_unseen_bank"] = False
    assert not demo_ok(seen)


def _decision(tid: str, outcome: str, alert: bool) -> Envelope:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    payload = {
        "transaction_id": tid,
        "outcome": outcome,
        "degraded": False,
        "alert_id": f"AL-{tid}" if alert else None,
    }
    return Envelope(
        id=f"00000000-0000-5000-8000-{int(tid[2:]):012d}",
        type="decision.made",
        schema_version=1,
        partition_key=tid,
        occurred_at=now,
        recorded_at=now,
        payload=payload,
    )


def test_the_display_counts_a_republished_decision_once() -> None:
    tally = DecisionTally({"T-1": "structuring"})
    tally.apply(_decision("T-1", "review", alert=True))
    tally.apply(_decision("T-1", "review", alert=True))  # the bus delivered it again
    tally.apply(_decision("T-2", "approve", alert=False))
    assert tally.events == 3
    assert tally.ids == {"T-1", "T-2"}
    assert tally.outcomes == {"review": 1, "approve": 1}
    assert tally.alerts_by_typology == {"structuring": 1}
