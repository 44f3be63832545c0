"""`finmon screen` and `finmon lists` through Typer's runner, mounted as the lead will."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from screening_helpers import FIXTURES, SANCTIONS, needs_samples
from typer.testing import CliRunner

from finmon.commands import screening
from finmon.core.errors import NotFoundError, ValidationError

app = typer.Typer()
app.command("screen")(screening.screen_command)
app.add_typer(screening.lists_app, name="lists")
runner = CliRunner()
FTM = FIXTURES / "opensanctions_sample.ftm.json"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FINMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FINMON_SANCTIONS_DIR", raising=False)
    return tmp_path


def test_screen_without_lists_says_to_load_one() -> None:
    result = runner.invoke(app, ["screen", "Ivan Sidorov"])
    assert isinstance(result.exception, NotFoundError)
    assert "finmon lists load" in result.exception.message


def test_load_then_screen_json_contract() -> None:
    loaded = runner.invoke(app, ["lists", "load", str(FTM), "--json"])
    assert loaded.exit_code == 0, loaded.output
    document = json.loads(loaded.stdout)
    assert document["list"] == "opensanctions"
    assert document["created"] is True
    result = runner.invoke(
        app,
        ["screen", "Ivan Petrovich Sidorov", "--dob", "1965-02-03", "--country", "RU", "--json"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["match"] is True
    best = out["candidates"][0]
    assert best["entry_id"] == "opensanctions:NK-abc123"
    assert {a["factor"] for a in best["adjustments"]} == {"dob", "country"}
    assert best["pairs"]
    assert best["explanation"]
    shown = runner.invoke(app, ["lists", "show", "--json"])
    assert json.loads(shown.stdout)["lists"][0]["entries"] == 4


def test_screen_human_output_and_format_option() -> None:
    assert (
        runner.invoke(
            app, ["lists", "load", str(FIXTURES / "eu_sample.xml"), "--format", "eu"]
        ).exit_code
        == 0
    )
    result = runner.invoke(app, ["screen", "Saddam Hussein"])
    assert result.exit_code == 0
    assert "eu:13" in result.stdout
    bad = runner.invoke(app, ["lists", "load", str(FTM), "--format", "pdf"])
    assert isinstance(bad.exception, ValidationError)
    assert bad.exception.field == "format"


def test_screen_file_writes_input_columns_plus_the_contract_columns(tmp_path: Path) -> None:
    runner.invoke(app, ["lists", "load", str(FTM)])
    source = tmp_path / "in.csv"
    source.write_text(
        "customer_id,name,dob,country\n"
        "c1,Ivan Sidorov,1965-02-03,RU\n"
        "c2,Someone Entirely Different,,\n"
        "c3,Иван Петрович Сидоров,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["screen", "--file", str(source), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["matches"] == 2
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "customer_id",
        "name",
        "dob",
        "country",
        "match",
        "score",
        "entry_id",
        "matched_name",
    ]
    assert [r["match"] for r in rows] == ["true", "false", "true"]
    assert rows[0]["entry_id"] == "opensanctions:NK-abc123"
    assert 0 <= float(rows[1]["score"]) < float(rows[0]["score"]) <= 100


def test_screen_file_with_bad_rows_writes_nothing(tmp_path: Path) -> None:
    runner.invoke(app, ["lists", "load", str(FTM)])
    source = tmp_path / "in.csv"
    source.write_text("name,dob\nIvan Sidorov,1965\n,\n???,\nBob,31/12/1999\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["screen", "--file", str(source), "--out", str(out)])
    error = result.exception
    assert isinstance(error, ValidationError)
    assert [p.field for p in error.problems] == ["line 3.name", "line 4.name", "line 5.dob"]
    assert not out.exists()
    no_column = tmp_path / "nocol.csv"
    no_column.write_text("full_name\nX\n")
    missing = runner.invoke(app, ["screen", "--file", str(no_column), "--out", str(out)])
    assert isinstance(missing.exception, ValidationError)


def test_bad_arguments_name_the_field() -> None:
    runner.invoke(app, ["lists", "load", str(FTM)])
    for args, field in (
        (["screen"], "name"),
        (["screen", "   "], "name"),
        (["screen", "X", "--file", "a.csv", "--out", "b.csv"], "name"),
        (["screen", "--file", "a.csv"], "out"),
        (["screen", "Ivan", "--dob", "yesterday"], "dob"),
    ):
        result = runner.invoke(app, args)
        assert isinstance(result.exception, ValidationError), args
        assert result.exception.field == field


def test_a_malformed_list_keeps_the_loaded_one(tmp_path: Path) -> None:
    runner.invoke(app, ["lists", "load", str(FTM)])
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": 1}\n')
    result = runner.invoke(app, ["lists", "load", str(bad)])
    assert isinstance(result.exception, ValidationError)
    assert "line 1" in result.exception.message
    assert runner.invoke(app, ["screen", "Ivan Sidorov", "--json"]).exit_code == 0


@needs_samples
def test_sample_sdn_used_only_when_the_env_var_points_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FINMON_SANCTIONS_DIR", str(SANCTIONS))
    result = runner.invoke(app, ["screen", "Usama bin Laden", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["match"] is True
    assert out["lists"].startswith("sample")
    assert out["candidates"][0]["list"] == "ofac_sdn"
