"""Stream == batch, the evaluation rule, the CLI contract, recall on a small simulated world."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest
import typer
from amldet_stream import leg, pay, receive
from typer.testing import CliRunner

from finmon.aml.detectors import AmlDetectors, Finding, default_detectors, finding_id, latest
from finmon.aml.detectors.evaluation import Instance, score_findings
from finmon.aml.detectors.run import FINDING_COLUMNS
from finmon.commands import aml
from finmon.monitor.transaction import Txn
from finmon.sources.canonical import arrow_schema

SMALL = """
name = "aml-detectors-small"
seed = 11
start = 2026-03-02T00:00:00Z
days = 14
customers = 600
merchants = 80
[typologies.structuring]
instances = 2
[typologies.rapid_movement]
instances = 2
[typologies.fan_in]
instances = 2
[typologies.fan_out]
instances = 2
[typologies.scatter_gather]
instances = 2
[typologies.gather_scatter]
instances = 2
[typologies.mule_network]
instances = 2
[typologies.dormant_reactivation]
instances = 2
[typologies.high_risk_jurisdiction]
instances = 2
[typologies.sanctioned_counterparty]
instances = 2
"""


def _mixed_stream() -> list[Txn]:
    txns = [leg("A1", "credit", 9_200, h, channel="cash_deposit") for h in (0, 20, 40)]
    txns += [receive("F1", f"S{i}", 700, i * 3) for i in range(11)]
    txns += [*pay("A", "B", 10_000, 0), *pay("B", "C", 9_600, 20), *pay("C", "A", 9_300, 50)]
    txns += [leg("J1", "debit", 12_000, 5, cp="IR-1", country="IR", channel="wire")]
    return sorted(txns, key=lambda t: t.occurred_us)


def _table(txns: list[Txn]) -> pa.Table:
    rows = [
        {
            "transaction_id": t.transaction_id,
            "occurred_at": t.occurred_us,
            "account_id": t.account_id,
            "customer_id": t.customer_id,
            "direction": t.direction,
            "amount": t.amount_minor,
            "currency": t.currency,
            "channel": t.channel,
            "counterparty_account_id": t.counterparty_account_id,
            "counterparty_country": t.counterparty_country,
            "latitude": t.latitude,
            "longitude": t.longitude,
        }
        for t in txns
    ]
    schema = pa.schema(
        [
            ("transaction_id", pa.string()),
            ("occurred_at", pa.int64()),
            ("account_id", pa.string()),
            ("customer_id", pa.string()),
            ("direction", pa.string()),
            ("amount", pa.int64()),
            ("currency", pa.string()),
            ("channel", pa.string()),
            ("counterparty_account_id", pa.string()),
            ("counterparty_country", pa.string()),
            ("latitude", pa.float64()),
            ("longitude", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def test_stream_equals_batch_and_batch_ignores_input_order() -> None:
    txns = _mixed_stream()
    live = AmlDetectors(default_detectors())
    streamed = latest(live.stream(txns))
    typologies = {f.typology for f in streamed}
    assert {"structuring", "fan_in", "cycle", "high_risk_jurisdiction"} <= typologies
    batch = AmlDetectors(default_detectors()).detect(txns)
    assert batch == streamed
    # out of order in the file: batch sorts by event time, stably, so the two legs of one
    # transfer (same instant) keep their file order and may swap; the id comes from the
    # evidence that fired, so it may differ, the evidence itself may not
    shuffled = AmlDetectors(default_detectors()).detect(_table(list(reversed(txns))))

    def key(findings: list[Finding]) -> set[tuple[str, frozenset[str]]]:
        return {(f.typology, frozenset(f.transaction_ids)) for f in findings}

    assert key(shuffled) == key(streamed)
    for detector in default_detectors():  # each detector alone, batch == its own stream
        versions = [f for t in txns for f in detector.observe(t)]
        assert detector.detect(txns) == latest(versions)


def test_finding_id_is_deterministic_from_typology_and_sorted_evidence() -> None:
    assert finding_id("cycle", ["b", "a"]) == finding_id("cycle", ["a", "b", "a"])
    assert finding_id("cycle", ["a"]) != finding_id("fan_in", ["a"])


def _finding(typ: str, tids: tuple[str, ...], at: int) -> Finding:
    return Finding(
        finding_id=finding_id(typ, tids),
        typology=typ,
        score=80,
        account_ids=("A",),
        transaction_ids=tids,
        first_event_at=at,
        detected_at=at,
        updated_at=at,
        narrative="",
    )


def test_evaluation_matches_on_shared_transactions_by_typology() -> None:
    hour = 3_600_000_000
    instances = [
        Instance("i1", "cycle", 0, 10 * hour, frozenset({"A"}), frozenset({"t1", "t2"})),
        Instance("i2", "cycle", 0, 10 * hour, frozenset({"B"}), frozenset({"t3"})),
        Instance("i3", "fan_in", 0, hour, frozenset({"C"}), frozenset({"t4"})),
    ]
    findings = [
        _finding("cycle", ("t2", "x"), 12 * hour),  # true positive on i1, 2 h after its end
        _finding("cycle", ("y",), hour),  # false positive
        _finding("rapid_movement", ("t4",), 2 * hour),  # overlaps a fan_in instance
    ]
    scores = score_findings(findings, instances)
    cycle = scores["cycle"].to_dict()
    assert (cycle["instances"], cycle["detected"], cycle["findings"]) == (2, 1, 2)
    assert cycle["recall"] == 0.5
    assert cycle["precision"] == 0.5
    assert cycle["median_time_to_alert_hours"] == 12.0
    assert cycle["median_after_end_hours"] == 2.0
    assert cycle["missed_instances"] == ["i2"]
    rapid = scores["rapid_movement"].to_dict()
    assert rapid["precision"] == 0.0
    assert rapid["precision_any"] == 1.0
    assert scores["fan_in"].to_dict()["recall"] == 0.0


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from finmon.sim import generate_dataset, load_scenario  # tests may make data

    root = tmp_path_factory.mktemp("amldet")
    scenario = root / "small.toml"
    scenario.write_text(SMALL)
    out = root / "data"
    generate_dataset(load_scenario(str(scenario)), out)
    return out


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(aml.app, name="aml")
    return app


def test_cli_detect_writes_the_contract_columns(small_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(
        _app(), ["aml", "detect", "--data", str(small_world), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == summary["findings"] > 0
    assert tuple(rows[0])[: len(FINDING_COLUMNS)] == FINDING_COLUMNS
    for row in rows:
        assert json.loads(row["account_ids"])
        assert json.loads(row["transaction_ids"])
        assert 0 <= int(row["score"]) <= 100
        assert row["first_event_at"] <= row["detected_at"]


def test_cli_evaluate_recall_on_a_small_simulated_world(small_world: Path) -> None:
    result = CliRunner().invoke(_app(), ["aml", "evaluate", "--data", str(small_world), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {r["typology"]: r for r in report["typologies"]}
    labelled = [r for r in rows.values() if r["instances"]]
    assert len(labelled) == 10
    detected = sum(r["detected"] for r in labelled)
    assert detected / sum(r["instances"] for r in labelled) >= 0.8
    for name in ("structuring", "sanctioned_counterparty", "dormant_reactivation", "fan_in"):
        assert rows[name]["recall"] == 1.0, rows[name]


def test_cli_detect_rejects_an_unknown_output_format(small_world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["aml", "detect", "--data", str(small_world), "--out", str(tmp_path / "f.xlsx")]
    )
    assert result.exit_code != 0


def test_cli_evaluate_needs_exactly_one_source() -> None:
    result = CliRunner().invoke(_app(), ["aml", "evaluate", "--json"])
    assert result.exit_code != 0
    assert arrow_schema("transactions") is not None


def test_cli_detect_reports_the_rows_it_could_not_read(small_world: Path, tmp_path: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    bad = tmp_path / "bad"
    bad.mkdir()
    table = pq.read_table(small_world / "transactions.parquet").slice(0, 300)
    pcsv.write_csv(table, bad / "transactions.csv")
    lines = (bad / "transactions.csv").read_text().splitlines()
    header = lines[0].replace('"', "").split(",")
    cells = lines[3].split(",")
    cells[header.index("currency")] = '"XXZ"'
    lines[3] = ",".join(cells)
    (bad / "transactions.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(
        _app(), ["aml", "detect", "--data", str(bad), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["transactions"] == 299
    (refused,) = summary["refused"]
    assert refused["row"] == 3
    assert any("currency" in p for p in refused["problems"])
