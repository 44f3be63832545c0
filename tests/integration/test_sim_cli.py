"""`finmon sim` through Typer's runner, on an app that mounts the sub-app as the lead does."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pcsv
import typer
from typer.testing import CliRunner

from finmon.commands import sim

app = typer.Typer()
app.add_typer(sim.app, name="sim")
runner = CliRunner()

SMALL = """
name = "cli-small"
seed = 5
start = 2026-01-05T00:00:00Z
days = 4
customers = 300
merchants = 80
[typologies.structuring]
instances = 2
[typologies.card_testing]
instances = 2
"""


def _scenario(tmp_path: Path) -> str:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return str(path)


def test_generate_json_contract(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["sim", "generate", "--scenario", _scenario(tmp_path), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["transactions"] > 1000
    assert summary["instances"] == {"card_testing": 2, "structuring": 2}
    names = {p.name for p in out.iterdir()}
    for table in ("transactions", "customers", "accounts", "merchants", "labels", "ground_truth"):
        assert f"{table}.parquet" in names


def test_generate_csv_with_seed_and_count(tmp_path: Path) -> None:
    out = tmp_path / "csv"
    args = [
        "sim",
        "generate",
        "-s",
        _scenario(tmp_path),
        "--seed",
        "9",
        "--transactions",
        "700",
        "--out",
        str(out),
        "--format",
        "csv",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "transactions" in result.stdout
    txs = pcsv.read_csv(out / "transactions.csv")
    assert txs.num_rows == 700
    assert str(txs.column("occurred_at")[0]).endswith("Z") or txs.schema.field(
        "occurred_at"
    ).type.tz in ("UTC", "+00:00")


def test_stream_max_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["sim", "stream", "-s", _scenario(tmp_path), "--max", "--duplicates", "0.01", "--json"]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["published"] > 1000
    assert stats["faults"]["duplicate"] == stats["duplicates_stored"]


def test_report_writes_page_and_plots(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "simulation.md").write_text("# Simulation\n\nintro\n")
    result = runner.invoke(app, ["sim", "report", "-s", _scenario(tmp_path), "--out", str(docs)])
    assert result.exit_code == 0, result.output
    page = (docs / "simulation.md").read_text()
    assert page.startswith("# Simulation\n\nintro")
    assert "<!-- sim-report:start -->" in page
    assert "sim_hour_of_day.png" in page
    assert (docs / "img" / "sim_amount_by_channel.png").stat().st_size > 1000


def test_scenarios_list() -> None:
    result = runner.invoke(app, ["sim", "scenarios", "--json"])
    assert result.exit_code == 0
    assert {"demo", "aml-ring", "load-1m", "holdout"} <= set(json.loads(result.stdout))
