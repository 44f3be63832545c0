"""`finmon ledger ...` through Typer's runner, on a ledger in a temporary data dir."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from finmon.commands import ledger as ledger_commands

ALICE = "liabilities:deposits:alice"
BOB = "liabilities:deposits:bob"
CASH = "assets:cash"

root = typer.Typer()
root.add_typer(ledger_commands.app, name="ledger")
runner = CliRunner()


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(root, ["ledger", *args])
    assert result.exit_code == code, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.output


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FINMON_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FINMON_LEDGER_BACKEND", raising=False)
    run("open-account", CASH, "--type", "asset", "--currency", "USD")
    for name in (ALICE, BOB):
        run(
            "open-account",
            name,
            "--type",
            "liability",
            "--currency",
            "USD",
            "--overdraft-limit",
            "0",
            "--debits-must-not-exceed-credits",
        )
    run("post", "--key", "fund", "--debit", CASH, "--credit", ALICE, "--amount", "100.00 USD")
    return tmp_path


def test_post_from_flags_and_read_the_balance() -> None:
    receipt = run(
        "post", "--key", "t1", "--debit", ALICE, "--credit", BOB, "--amount", "30.25 USD", "--json"
    )
    assert receipt["accepted"] is True
    assert run("balance", BOB, "--json")["posted"] == "30.25"
    assert run("balance", ALICE, "--as-of-seq", str(receipt["seq"] - 1), "--json")["posted"] == (
        "100.00"
    )
    again = run(
        "post", "--key", "t1", "--debit", ALICE, "--credit", BOB, "--amount", "30.25 USD", "--json"
    )
    assert again["replayed"] is True


def test_post_a_batch_from_a_file_each_on_its_own(tmp_path: Path) -> None:
    batch = {
        "transfers": [
            {
                "key": "a",
                "postings": [
                    {"account": ALICE, "amount": "10 USD"},
                    {"account": BOB, "amount": "-10 USD"},
                ],
            },
            {
                "key": "b",
                "postings": [
                    {"account": ALICE, "amount": "1.001 USD"},
                    {"account": BOB, "amount": "-1.001 USD"},
                ],
            },
            {
                "key": "c",
                "postings": [
                    {"account": ALICE, "amount": "500 USD"},
                    {"account": BOB, "amount": "-500 USD"},
                ],
            },
        ]
    }
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    document = run("post", str(path), "--json", code=1)
    assert [o["accepted"] for o in document["outcomes"]] == [True, False, False]
    assert "decimal places" in document["outcomes"][1]["problems"][0]["reason"]
    assert "overdraft limit" in document["outcomes"][2]["problems"][0]["reason"]


def test_a_toml_transfer(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        'key = "toml"\nmemo = "from toml"\n'
        f'[[postings]]\naccount = "{ALICE}"\namount = "2 USD"\n'
        f'[[postings]]\naccount = "{BOB}"\namount = "-2 USD"\n'
    )
    assert run("post", str(path), "--json")["accepted"] is True


def test_a_refusal_exits_1_and_names_the_account() -> None:
    output = run(
        "post", "--key", "x", "--debit", BOB, "--credit", ALICE, "--amount", "1 USD", code=1
    )
    assert "overdraft" in output
    assert BOB in output


def test_hold_post_void_reverse_and_statement() -> None:
    held = run(
        "hold",
        "--key",
        "h",
        "--debit",
        ALICE,
        "--credit",
        BOB,
        "--amount",
        "40 USD",
        "--seconds",
        "60",
        "--json",
    )
    assert run("balance", ALICE, "--json")["available"] == "60.00"
    run("post-hold", held["transfer_id"], "--key", "p", "--amount", "15 USD")
    run("post-hold", held["transfer_id"], "--key", "p2", code=1)
    other = run(
        "hold",
        "--key",
        "h2",
        "--debit",
        ALICE,
        "--credit",
        BOB,
        "--amount",
        "5 USD",
        "--seconds",
        "60",
        "--json",
    )
    run("void", other["transfer_id"], "--key", "v")
    assert run("expire", "--json") == {"expired": []}
    moved = run(
        "post", "--key", "m", "--debit", ALICE, "--credit", BOB, "--amount", "1 USD", "--json"
    )
    run("reverse", moved["transfer_id"], "--key", "r", "--memo", "oops")
    lines = run("statement", ALICE, "--json")["lines"]
    assert lines[-1]["kind"] == "reversal"
    assert "reversal" in run("statement", ALICE)


def test_reports_verify_and_prove() -> None:
    assert run("trial-balance", "--json")["balanced"] is True
    assert "balanced" in run("trial-balance")
    assert run("balance-sheet", "--json")["balanced"] is True
    assert "liability" in run("balance-sheet")
    assert run("verify", "--json")["ok"] is True
    assert "intact" in run("verify")
    seq_rows = run("statement", ALICE, "--json")["lines"]
    proof = run("prove", seq_rows[0]["transfer_id"], "--json")
    assert proof["verified"] is True


def test_verify_exits_1_naming_the_first_problem(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "ledger.db") as conn:
        conn.execute("UPDATE ledger_balances SET credits_posted = 1 WHERE account = ?", (ALICE,))
    report = run("verify", "--json", code=1)
    assert report["first_problem"].startswith(f"account {ALICE}")
    assert "DAMAGED" in run("verify", code=1)


def test_account_lifecycle_commands() -> None:
    run("freeze", BOB)
    run("freeze", BOB, code=1)
    run("unfreeze", BOB, "--json")
    run("close", ALICE, code=1)  # it has a balance
    run("close", BOB)


def test_bench_runs_small() -> None:
    figures = run("bench", "--backend", "sqlite", "--scale", "0.02", "--json")
    assert {"single_1", "single_16", "batch_1000"} <= set(figures)
    assert figures["batch_1000"]["transfers_per_second"] > 0


def test_reconcile_a_statement(tmp_path: Path) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_text("reference,value_date,amount,currency\nX-1,2026-01-01,5.00,USD\n")
    report = run("reconcile", CASH, str(statement), "--json", code=1)
    assert report["counts"]["missing_in_ledger"] == 1
    assert report["counts"]["missing_in_statement"] == 1  # the funding has no reference
    assert "missing_in_ledger" in run("reconcile", CASH, str(statement), code=1)
