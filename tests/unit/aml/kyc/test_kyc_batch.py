"""Batch rating of a simulated dataset directory and the `kyc` CLI through Typer's runner."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from kyc_doubles import individual
from typer.testing import CliRunner

from finmon.aml.kyc import TIERS, observe_activity, rate_dataset
from finmon.aml.kyc.batch import profiles_from_rows
from finmon.commands import kyc
from finmon.core.errors import NotFoundError, ValidationError
from finmon.sim import generate_dataset, load_scenario
from finmon.sources.canonical import arrow_schema

app = typer.Typer()
app.add_typer(kyc.app, name="kyc")
runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kyc-demo")
    generate_dataset(load_scenario("demo", transactions=3000), out)
    return out


def test_every_customer_is_rated(data_dir: Path) -> None:
    result = rate_dataset(data_dir)
    customers = pq.read_table(data_dir / "customers.parquet")
    assert len(result.ratings) == customers.num_rows
    assert {r.customer_id for r in result.ratings} == set(customers["customer_id"].to_pylist())
    assert all(r.tier in TIERS and 0 <= r.score <= 100 for r in result.ratings)
    assert all(r.rated_on == result.as_of.date() for r in result.ratings)
    matrix = result.agreement_matrix()
    assert sum(sum(row.values()) for row in matrix.values()) == len(result.ratings)
    assert sum(result.tier_counts().values()) == len(result.ratings)
    assert 0.0 <= result.agreement() <= 1.0
    # the file's PEPs are rated PEPs (the pep column is read, not assumed)
    peps = {
        c
        for c, p in zip(
            customers["customer_id"].to_pylist(), customers["pep"].to_pylist(), strict=True
        )
        if p
    }
    for r in result.ratings:
        assert (r.factor("pep").value == 1.0) is (r.customer_id in peps)


def test_as_of_defaults_to_the_last_transaction(data_dir: Path) -> None:
    result = rate_dataset(data_dir)
    last = pq.read_table(data_dir / "transactions.parquet")["occurred_at"].to_pylist()
    assert result.as_of == max(last)
    later = rate_dataset(data_dir, as_of=datetime(2030, 1, 1, tzinfo=UTC))
    assert all(r.factor("activity").input == "" for r in later.ratings)  # nothing in the window


def test_missing_customers_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        rate_dataset(tmp_path)
    assert info.value.field == "data"


def test_observe_activity_skips_own_transfers_and_other_currencies() -> None:
    rows = [
        ("t1", "2026-01-10", "A1", "credit", "100.00", "USD", "ach", None),
        ("t2", "2026-01-11", "A1", "debit", "40.00", "USD", "online", "A2"),  # own savings
        ("t3", "2026-01-12", "A1", "debit", "30.00", "EUR", "card_present", None),
        ("t4", "2025-06-01", "A1", "credit", "999.00", "USD", "wire", None),  # outside window
    ]
    table = pa.Table.from_pylist(
        [
            {
                "transaction_id": r[0],
                "occurred_at": datetime.fromisoformat(r[1]).replace(tzinfo=UTC),
                "account_id": r[2],
                "direction": r[3],
                "amount": r[4],
                "currency": r[5],
                "channel": r[6],
                "counterparty_account_id": r[7],
            }
            for r in rows
        ],
        schema=arrow_schema("transactions"),
    )
    seen = observe_activity(
        table,
        as_of=datetime(2026, 1, 31, tzinfo=UTC),
        window_days=90,
        owner_of={"A1": "C1", "A2": "C1"},
        currency_of={"C1": "USD"},
    )
    c1 = seen["C1"]
    assert (c1.inflow_minor, c1.outflow_minor, c1.count) == (10_000, 0, 2)
    assert c1.channels == ("ach", "card_present")


def test_profiles_read_flags_and_income_as_files_carry_them() -> None:
    rows = [
        {"customer_id": "C1", "pep": "false", "annual_income": "1200.00", "country": "US"},
        {"customer_id": "C2", "pep": "true", "annual_income": "bad", "income_currency": "JPY"},
        {"customer_id": None},
    ]
    p1, p2 = profiles_from_rows(rows, {"C1": ("current",)})
    assert (p1.pep, p1.expected_monthly_volume_minor, p1.products) == (False, 10_000, ("current",))
    assert (p2.pep, p2.expected_monthly_volume_minor, p2.currency) == (True, None, "JPY")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".json"])
def test_cli_rate_writes_one_row_per_customer(data_dir: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"ratings{suffix}"
    result = runner.invoke(
        app, ["kyc", "rate", "--data", str(data_dir), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    n = summary["customers"]
    assert sum(summary["tiers"].values()) == n
    if suffix == ".csv":
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == n
        assert set(rows[0]) == {
            "customer_id",
            "score",
            "tier",
            "triggers",
            "next_review",
            "factors",
        }
        assert len(json.loads(rows[0]["factors"])) == 8
        assert isinstance(json.loads(rows[0]["triggers"]), list)
    elif suffix == ".parquet":
        assert pq.read_table(out).num_rows == n
    elif suffix == ".jsonl":
        lines = out.read_text().splitlines()
        assert len(lines) == n
        assert json.loads(lines[0])["factors"]
    else:
        assert len(json.loads(out.read_text())) == n


def test_cli_rate_human_output_and_bad_suffix(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["kyc", "rate", "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "same tier as the file" in result.output
    bad = runner.invoke(
        app, ["kyc", "rate", "--data", str(data_dir), "--out", str(tmp_path / "x.txt")]
    )
    assert isinstance(bad.exception, ValidationError)
    assert bad.exception.field == "out"


def test_cli_review_due(data_dir: Path) -> None:
    result = runner.invoke(
        app, ["kyc", "review-due", "--data", str(data_dir), "--as-of", "2026-03-01", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["as_of"] == "2026-03-01"
    assert doc["due"] == len(doc["customers"])
    assert all(c["due_on"] <= "2026-03-01" for c in doc["customers"])
    human = runner.invoke(app, ["kyc", "review-due", "--data", str(data_dir), "--limit", "3"])
    assert human.exit_code == 0
    assert "reviews due" in human.output


def test_cli_bad_as_of_names_the_field(data_dir: Path) -> None:
    result = runner.invoke(app, ["kyc", "rate", "--data", str(data_dir), "--as-of", "soon"])
    assert isinstance(result.exception, ValidationError)
    assert result.exception.field == "as_of"


def test_cli_onboard(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps(individual(date_of_birth="2010-01-01")))
    result = runner.invoke(app, ["kyc", "onboard", str(path), "--as-of", "2026-06-15", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["outcome"] == "reject"
    age = [c for c in doc["checks"] if c["check"] == "age"][0]
    assert age == {
        "check": "age",
        "field": "date_of_birth",
        "status": "fail",
        "reason": "applicant is 16, under the minimum age 18",
    }
    assert doc["decided_at"].startswith("2026-06-15")
    human = runner.invoke(app, ["kyc", "onboard", str(path), "--as-of", "2026-06-15"])
    assert human.exit_code == 0
    assert "reject" in human.output


def test_cli_onboard_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(app, ["kyc", "onboard", str(broken)])
    assert isinstance(result.exception, ValidationError)
    assert result.exception.field == "file"
    missing = runner.invoke(app, ["kyc", "onboard", str(tmp_path / "nope.json")])
    assert isinstance(missing.exception, ValidationError)
    shape = tmp_path / "shape.json"
    shape.write_text(json.dumps(individual(date_of_birth="yesterday")))
    bad = runner.invoke(app, ["kyc", "onboard", str(shape)])
    assert isinstance(bad.exception, ValidationError)
    assert bad.exception.field == "date_of_birth"


def test_cli_uses_the_injected_screener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kyc_doubles import ExactNameScreener

    screener = ExactNameScreener({"Maria Elena Garcia": ("ofac_sdn", "SDN-9", False)})
    monkeypatch.setattr(kyc, "screener_factory", lambda: screener)
    path = tmp_path / "app.json"
    path.write_text(json.dumps(individual()))
    result = runner.invoke(app, ["kyc", "onboard", str(path), "--as-of", "2026-06-15", "--json"])
    doc = json.loads(result.stdout)
    assert doc["outcome"] == "reject"
    assert doc["screening_hits"][0]["entry_id"] == "SDN-9"
