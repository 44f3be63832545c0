"""`finmon sim warehouse` stands up seed 002's warehouse; `finmon ingest sql` polls it once."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from finmon.cli import app


def test_the_simulated_warehouse_is_polled_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINMON_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    runner = CliRunner()
    filled = runner.invoke(
        app, ["sim", "warehouse", "--url", url, "--transactions", "800", "--json"]
    )
    assert filled.exit_code == 0, filled.output
    assert orjson.loads(filled.stdout)["rows"] == 800
    poll = [
        "ingest",
        "sql",
        "--url",
        url,
        "--table",
        "transactions",
        "--watermark",
        "row_id",
        "--key",
        "row_id",
        "--once",
        "--json",
    ]
    first = runner.invoke(app, poll)
    assert first.exit_code == 0, first.output
    assert orjson.loads(first.stdout)["accepted"] == 800
    again = runner.invoke(app, poll)
    assert orjson.loads(again.stdout)["rows"] == 0  # the saved watermark: nothing re-read
