"""`finmon monitor` end to end through the real entry point: the contract commands
(train, score, evaluate), their files and exit codes, and the operator controls."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from finmon.sim import generate_dataset, load_scenario

CONTRACT_COLUMNS = ["transaction_id", "score", "decision", "degraded", "reasons", "alert_id"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINMON_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "finmon", "monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("monitor-cli")
    paths = {"root": root, "data": root / "data"}
    for name, seed in (("train", 2024), ("score", 7)):
        out = root / name
        generate_dataset(load_scenario("demo", seed=seed, transactions=3000), out)
        paths[name] = out
    trained = run(paths["data"], "train", "--data", str(paths["train"]), "--json")
    assert trained.returncode == 0, trained.stderr
    paths["version"] = Path(json.loads(trained.stdout)["version"])
    return paths


def test_train_registers_and_promotes(world: dict[str, Path]) -> None:
    listed = run(world["data"], "models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["role"] for r in rows] == ["champion"]
    assert rows[0]["version"] == str(world["version"])
    assert rows[0]["source"].startswith("data:sha256=")


def test_score_writes_the_contract_csv(world: dict[str, Path]) -> None:
    out = world["root"] / "scores.csv"
    result = run(world["data"], "score", "--data", str(world["score"]), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    with out.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == CONTRACT_COLUMNS
        rows = list(reader)
    ids = pq.read_table(world["score"] / "transactions.parquet").column("transaction_id")
    assert sorted(r["transaction_id"] for r in rows) == sorted(ids.to_pylist())
    assert summary["transactions"] == len(rows) == 3000
    for row in rows:
        assert 0 <= int(row["score"]) <= 100
        assert row["decision"] in ("approve", "review", "block")
        assert row["degraded"] == "false"
        assert isinstance(json.loads(row["reasons"]), list)
        assert (row["alert_id"] == "") == (row["decision"] == "approve")
    assert summary["model_version"] == str(world["version"])


def test_bad_rows_are_reviewed_never_approved_or_dropped(world: dict[str, Path]) -> None:
    bad_dir = world["root"] / "bad"
    bad_dir.mkdir()
    table = pq.read_table(world["score"] / "transactions.parquet").slice(0, 200)
    pcsv.write_csv(table, bad_dir / "transactions.csv")
    lines = (bad_dir / "transactions.csv").read_text().splitlines()
    header = lines[0].replace('"', "").split(",")
    cells = lines[5].split(",")
    cells[header.index("amount")] = '"12.345"'  # three decimals: USD has two
    lines[5] = ",".join(cells)
    (bad_dir / "transactions.csv").write_text("\n".join(lines) + "\n")
    out = world["root"] / "bad-scores.csv"
    result = run(world["data"], "score", "--data", str(bad_dir), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 200
    bad = [r for r in rows if "invalid input" in r["reasons"]]
    assert len(bad) == 1
    assert bad[0]["decision"] == "review"
    assert "invalid input: amount" in bad[0]["reasons"]
    assert json.loads(result.stdout)["invalid"] == 1


def test_evaluate_reports_every_contract_figure(world: dict[str, Path]) -> None:
    out = world["root"] / "eval"
    result = run(
        world["data"], "evaluate", "--data", str(world["score"]), "--out", str(out), "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for detector in ("rules", "model", "combined"):
        figures = report[detector]
        for key in (
            "pr_auc",
            "recall_at_fpr_1pct",
            "recall_at_fpr_0_1pct",
            "alert_precision",
            "per_typology",
            "median_time_to_first_alert_s",
        ):
            assert key in figures, (detector, key)
        assert figures["per_typology"], detector
    assert report["model"]["pr_auc"] is not None
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".png"]


def test_evaluate_refuses_the_training_data(world: dict[str, Path]) -> None:
    result = run(world["data"], "evaluate", "--data", str(world["train"]))
    assert result.returncode == 2
    assert "trained on" in result.stderr


def test_train_needs_exactly_one_source(world: dict[str, Path]) -> None:
    result = run(world["data"], "train")
    assert result.returncode == 2
    assert "--scenario or --data" in result.stderr


def test_rules_validate_names_line_and_column(world: dict[str, Path]) -> None:
    bad = world["root"] / "bad-rules.yaml"
    bad.write_text(
        "name: broken\nversion: 1\nrules:\n"
        "  - id: sneaky\n    description: reads an attribute\n"
        "    expression: amount.__class__ > 0\n"
        "    severity: low\n    score: 10\n"
    )
    result = run(world["data"], "rules", "validate", str(bad))
    assert result.returncode == 2
    assert "sneaky" in result.stderr
    assert "line 6" in result.stderr


def test_rules_deploy_and_rollback_are_recorded(world: dict[str, Path]) -> None:
    good = world["root"] / "rules.yaml"
    good.write_text(
        "name: tiny\nversion: 2\nrules:\n"
        "  - id: big-wire\n    description: large wire\n"
        "    expression: channel == 'wire' and amount_major >= 10000\n"
        "    severity: medium\n    score: 30\n"
    )
    deployed = run(world["data"], "rules", "deploy", str(good), "--author", "ops", "--json")
    assert deployed.returncode == 0, deployed.stderr
    listed = json.loads(run(world["data"], "rules", "list", "--json").stdout)
    assert listed["name"] == "tiny"
    poisoned = world["root"] / "poison.yaml"
    poisoned.write_text(good.read_text().replace("amount_major", "__import__('os')"))
    refused = run(world["data"], "rules", "deploy", str(poisoned), "--author", "ops")
    assert refused.returncode == 2
    assert json.loads(run(world["data"], "rules", "list", "--json").stdout)["name"] == "tiny"
    history = json.loads(run(world["data"], "rules", "history", "--json").stdout)
    actions = [h["action"] for h in history]
    assert actions[-1] == "reject"
    assert "save" in actions
    second = world["root"] / "rules2.yaml"
    second.write_text(good.read_text().replace("name: tiny", "name: tiny-two"))
    assert run(world["data"], "rules", "deploy", str(second), "--author", "ops").returncode == 0
    assert json.loads(run(world["data"], "rules", "list", "--json").stdout)["name"] == "tiny-two"
    back = run(world["data"], "rules", "rollback", "1", "--author", "ops")
    assert back.returncode == 0, back.stderr
    assert json.loads(run(world["data"], "rules", "list", "--json").stdout)["name"] == "tiny"
