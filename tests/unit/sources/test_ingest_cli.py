"""`finmon ingest` through Typer: the exit-code contract, --json, sql and metric commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner, Result

from finmon.commands.ingest import app as ingest_app
from finmon.sources.samples import sample_transactions, write_rows, write_table
from finmon.sources.warehouse import write_warehouse_table

root = typer.Typer()
root.add_typer(ingest_app, name="ingest")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("FINMON_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(root, ["ingest", *args], catch_exceptions=False)

    return invoke


def test_exit_0_when_every_row_is_accepted(tmp_path: Path, run: Callable[..., Result]) -> None:
    path = write_table(tmp_path / "transactions.csv", sample_transactions(30))
    result = run("file", str(path), "--json")
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert (document["outcome"], document["accepted"], document["exit_code"]) == ("accepted", 30, 0)
    again = run("file", str(path))
    assert again.exit_code == 0
    assert "duplicates (already in the log)" in again.stdout


def test_exit_1_when_the_file_is_rejected(tmp_path: Path, run: Callable[..., Result]) -> None:
    rows = sample_transactions(5).to_pylist()
    rows[2]["currency"] = "ZZZ"
    path = write_rows(tmp_path / "transactions.jsonl", rows)
    result = run("file", str(path))
    assert result.exit_code == 1
    assert "not a known ISO 4217 currency code" in result.stdout
    document = orjson.loads(run("file", str(path), "--json").stdout)
    assert document["problems"][0] == {
        "row": 3,
        "field": "currency",
        "reason": "'ZZZ' is not a known ISO 4217 currency code",
        "code": "invalid",
    }


def test_exit_2_when_rows_went_to_the_dead_letter_file(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    rows = sample_transactions(5).to_pylist()
    rows[0]["direction"] = "up"
    path = write_rows(tmp_path / "transactions.parquet", rows)
    dead = tmp_path / "dead.parquet"
    result = run("file", str(path), "--dead-letter", str(dead), "--json")
    assert result.exit_code == 2
    assert orjson.loads(result.stdout)["dead_letter"] == str(dead)
    assert dead.exists()


def test_sql_once_and_metrics(tmp_path: Path, run: Callable[..., Result]) -> None:
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    write_warehouse_table(url, "transactions", sample_transactions(25))
    args = ["sql", "--url", url, "--table", "transactions", "--watermark", "row_id"]
    result = run(*args, "--key", "row_id", "--batch-size", "10", "--once", "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["accepted"] == 25
    assert orjson.loads(run(*args, "--key", "row_id", "--once", "--json").stdout)["rows"] == 0

    recorded = run(
        "metric", "branch.cash_count", "1250.50", "--unit", "EUR", "-d", "branch=LDN", "--json"
    )
    assert recorded.exit_code == 0, recorded.output
    assert orjson.loads(recorded.stdout)["dimensions"] == {"branch": "LDN"}
    listed = orjson.loads(run("metrics", "--json").stdout)["metrics"]
    assert [m["value"] for m in listed] == ["1250.50"]


def test_an_unreadable_file_is_rejected_with_exit_1_not_2(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    result = run("file", str(tmp_path / "missing.csv"), "--json")
    assert result.exit_code == 1
    document = orjson.loads(result.stdout)
    assert document["outcome"] == "rejected"
    assert "missing.csv" in document["error"]["message"]
