"""File ingestion: formats, reject-whole default, dead letters, duplicates, reference files."""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from finmon.core.errors import NotFoundError, ValidationError
from finmon.events.log import Log
from finmon.sources.events import TRANSACTION_RECEIVED, transaction_event_id
from finmon.sources.files import ingest_file
from finmon.sources.report import Outcome
from finmon.sources.samples import sample_accounts, sample_transactions, write_rows, write_table

FORMATS = ["csv", "jsonl", "parquet"]


def _events(log: Log, event_type: str = TRANSACTION_RECEIVED) -> list[dict[str, Any]]:
    found = []
    for record in log.read():
        event = orjson.loads(record.body)
        if event["type"] == event_type:
            found.append(event)
    return found


def _rows(count: int = 20, start: int = 0) -> list[dict[str, Any]]:
    return sample_transactions(count, start=start).to_pylist()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_clean_file_is_accepted_whole(tmp_path: Path, ingest_log: Log, fmt: str) -> None:
    path = write_table(tmp_path / f"transactions.{fmt}", sample_transactions(120))
    report = ingest_file(path, ingest_log, batch_rows=50)
    assert (report.outcome, report.exit_code) == (Outcome.ACCEPTED, 0)
    assert (report.rows_read, report.accepted, report.duplicates, report.rejected) == (
        120,
        120,
        0,
        0,
    )
    events = _events(ingest_log)
    assert len(events) == 120
    first = events[0]
    assert first["id"] == transaction_event_id("tx-000000000")
    assert first["partition_key"] == first["payload"]["account_id"]
    assert first["payload"]["occurred_at"].endswith("Z")


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_bad_row_rejects_the_whole_file_and_writes_nothing(
    tmp_path: Path, ingest_log: Log, fmt: str
) -> None:
    rows = _rows(120)
    rows[77]["amount"] = "12.345"
    rows[77]["currency"] = "USD"
    path = write_rows(tmp_path / f"transactions.{fmt}", rows)
    report = ingest_file(path, ingest_log, batch_rows=50)
    assert (report.outcome, report.exit_code) == (Outcome.REJECTED, 1)
    assert (report.rows_read, report.accepted, report.rejected) == (120, 0, 1)
    ((problem),) = report.problems
    assert (problem.row, problem.field) == (78, "amount")
    assert "more decimal places than USD allows" in problem.reason
    assert ingest_log.head().seq == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_dead_letter_mode_writes_exactly_the_bad_rows(
    tmp_path: Path, ingest_log: Log, fmt: str
) -> None:
    rows = _rows(60)
    rows[3]["direction"] = "out"
    rows[40]["occurred_at"] = "2026-01-05T10:00:00"
    rows[41]["transaction_id"] = rows[40]["transaction_id"]  # the second occurrence is bad
    path = write_rows(tmp_path / f"transactions.{fmt}", rows)
    dead = tmp_path / "out" / "dead.jsonl"
    report = ingest_file(path, ingest_log, dead_letter=dead, batch_rows=25)
    assert (report.outcome, report.exit_code) == (Outcome.PARTIAL, 2)
    assert (report.accepted, report.rejected) == (57, 3)
    letters = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert [d["_row"] for d in letters] == [4, 41, 42]
    assert [d["transaction_id"] for d in letters] == [
        rows[i]["transaction_id"] for i in (3, 40, 41)
    ]
    assert letters[0]["_errors"] == ["direction: 'out' is not one of: debit, credit"]
    assert "duplicate transaction_id" in letters[2]["_errors"][0]
    stored = {e["payload"]["transaction_id"] for e in _events(ingest_log)}
    assert rows[3]["transaction_id"] not in stored
    assert len(stored) == 57


def test_dead_letters_keep_the_input_format(tmp_path: Path, ingest_log: Log) -> None:
    rows = _rows(10)
    rows[2]["merchant_country"] = "gb"
    path = write_rows(tmp_path / "transactions.csv", rows)
    dead = tmp_path / "dead.csv"
    ingest_file(path, ingest_log, dead_letter=dead)
    table = pcsv.read_csv(dead, convert_options=pcsv.ConvertOptions(strings_can_be_null=False))
    assert table.num_rows == 1
    assert table.column("_errors").to_pylist() == [
        "merchant_country: 'gb' is not an ISO 3166-1 alpha-2 code (two capital letters)"
    ]
    assert table.column("_row").to_pylist() == [3]
    assert table.schema.names[:-2] == list(rows[0])

    ppath = write_rows(tmp_path / "p" / "transactions.parquet", rows)
    pdead = tmp_path / "dead.parquet"
    ingest_file(ppath, ingest_log, dead_letter=pdead)
    assert pq.read_table(pdead).column("merchant_country").to_pylist() == ["gb"]


def test_a_dead_letter_format_that_changes_columns_is_refused(
    tmp_path: Path, ingest_log: Log
) -> None:
    path = write_rows(tmp_path / "transactions.jsonl", _rows(2))
    with pytest.raises(ValidationError, match="jsonl or jsonl, not csv"):
        ingest_file(path, ingest_log, dead_letter=tmp_path / "dead.csv")


def test_no_bad_rows_means_no_dead_letter_file(tmp_path: Path, ingest_log: Log) -> None:
    path = write_rows(tmp_path / "transactions.csv", _rows(5))
    dead = tmp_path / "dead.jsonl"
    dead.write_text("stale from an earlier run\n")
    report = ingest_file(path, ingest_log, dead_letter=dead)
    assert report.exit_code == 0
    assert report.dead_letter is None
    assert not dead.exists()


def test_a_reimport_counts_duplicates_and_stores_nothing(tmp_path: Path, ingest_log: Log) -> None:
    first = write_rows(tmp_path / "a" / "transactions.csv", _rows(30))
    overlapping = write_rows(tmp_path / "b" / "transactions.parquet", _rows(30, start=20))
    assert ingest_file(first, ingest_log).accepted == 30
    again = ingest_file(first, ingest_log)
    assert (again.exit_code, again.accepted, again.duplicates) == (0, 0, 30)
    report = ingest_file(overlapping, ingest_log)
    assert (report.accepted, report.duplicates, report.rejected) == (20, 10, 0)
    assert len(_events(ingest_log)) == 50


def test_duplicates_within_a_file_reject_it(tmp_path: Path, ingest_log: Log) -> None:
    rows = _rows(5)
    rows.append(dict(rows[1]))
    report = ingest_file(write_rows(tmp_path / "transactions.csv", rows), ingest_log)
    assert report.exit_code == 1
    ((problem),) = report.problems
    assert (problem.row, problem.field, problem.code) == (6, "transaction_id", "duplicate")


def test_minimal_file_with_only_required_columns_and_extras(
    tmp_path: Path, ingest_log: Log
) -> None:
    path = tmp_path / "transactions.csv"
    path.write_text(
        "amount,currency,transaction_id,occurred_at,account_id,direction,bank_internal\n"
        "10.00,EUR,t1,2026-01-01T00:00:00+01:00,A,credit,xyz\n"
        "3,JPY,t2,2026-01-01T00:00:00Z,B,debit,\n"
    )
    report = ingest_file(path, ingest_log)
    assert report.exit_code == 0, report.problems
    payloads = [e["payload"] for e in _events(ingest_log)]
    assert payloads[0] == {
        "transaction_id": "t1",
        "occurred_at": "2025-12-31T23:00:00Z",
        "customer_id": "A",
        "account_id": "A",
        "direction": "credit",
        "amount": "10.00",
        "currency": "EUR",
    }
    assert payloads[1]["amount"] == "3"


def test_a_missing_required_column_rejects_the_file_in_both_modes(
    tmp_path: Path, ingest_log: Log
) -> None:
    table = sample_transactions(5).drop_columns(["currency"])
    path = write_table(tmp_path / "transactions.csv", table)
    for dead in (None, tmp_path / "dead.jsonl"):
        report = ingest_file(path, ingest_log, dead_letter=dead)
        assert report.exit_code == 1
        assert [(p.row, p.field) for p in report.problems] == [(0, "currency")]
    assert ingest_log.head().seq == 0


def test_malformed_csv_lines_reject_the_file_in_both_modes(tmp_path: Path, ingest_log: Log) -> None:
    path = write_rows(tmp_path / "transactions.csv", _rows(4))
    with path.open("a") as handle:
        handle.write('"tx-x","2026-01-01T00:00:00Z","a"\n')
    for dead in (None, tmp_path / "dead.csv"):
        report = ingest_file(path, ingest_log, dead_letter=dead)
        assert report.exit_code == 1
        assert any(
            "line 6 has 3 fields where the header has 14" in p.reason for p in report.problems
        )
    assert ingest_log.head().seq == 0


def test_unreadable_json_lines_are_row_problems(tmp_path: Path, ingest_log: Log) -> None:
    path = write_rows(tmp_path / "transactions.jsonl", _rows(3))
    with path.open("ab") as handle:
        handle.write(b"\n{not json\n[1, 2]\n")
    dead = tmp_path / "dead.jsonl"
    report = ingest_file(path, ingest_log, dead_letter=dead)
    assert report.exit_code == 2
    assert [(p.row, p.code) for p in report.problems] == [(5, "unreadable"), (6, "unreadable")]
    letters = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert letters[0]["_line"] == "{not json"
    assert letters[1]["_errors"] == ["is not a JSON object"]


def test_parquet_float_amounts_are_refused_and_decimals_accepted(
    tmp_path: Path, ingest_log: Log
) -> None:
    rows = _rows(3)
    floats = pa.Table.from_pylist([{**r, "amount": 12.5} for r in rows])
    report = ingest_file(write_table(tmp_path / "f" / "transactions.parquet", floats), ingest_log)
    assert report.exit_code == 1
    assert {p.field for p in report.problems} == {"amount"}
    assert "binary floating-point" in report.problems[0].reason
    exact = pa.Table.from_pylist(
        [{**r, "amount": decimal.Decimal("12.50")} for r in rows],
    )
    assert pa.types.is_decimal(exact.schema.field("amount").type)
    report = ingest_file(write_table(tmp_path / "d" / "transactions.parquet", exact), ingest_log)
    assert report.exit_code == 0, report.problems
    assert {e["payload"]["amount"] for e in _events(ingest_log)} == {"12.50"}


def test_parquet_timestamps_need_a_zone(tmp_path: Path, ingest_log: Log) -> None:
    table = sample_transactions(2)
    stamps = pa.array([1_767_225_600_000_000, 1_767_225_600_000_001], pa.timestamp("us"))
    naive = table.set_column(1, "occurred_at", stamps)
    report = ingest_file(write_table(tmp_path / "n" / "transactions.parquet", naive), ingest_log)
    assert report.exit_code == 1
    assert "without a time zone" in report.problems[0].reason
    aware = table.set_column(1, "occurred_at", stamps.cast(pa.timestamp("us", tz="UTC")))
    report = ingest_file(write_table(tmp_path / "a" / "transactions.parquet", aware), ingest_log)
    assert report.exit_code == 0
    assert _events(ingest_log)[1]["payload"]["occurred_at"] == "2026-01-01T00:00:00.000001Z"


@pytest.mark.parametrize("fmt", FORMATS)
def test_reference_files_beside_are_loaded_and_own_the_accounts(
    tmp_path: Path, ingest_log: Log, fmt: str
) -> None:
    write_table(tmp_path / f"accounts.{fmt}", sample_accounts(10))
    write_rows(tmp_path / f"customers.{fmt}", [{"customer_id": "cust-0", "pep": "true"}])
    path = write_rows(tmp_path / f"transactions.{fmt}", _rows(10, start=0))
    report = ingest_file(path, ingest_log)
    assert report.exit_code == 0, report.problems
    assert report.references["accounts"].to_dict() == {
        "read": 10,
        "accepted": 10,
        "duplicates": 0,
        "rejected": 0,
    }
    accounts = _events(ingest_log, "account.upserted")
    assert accounts[0]["partition_key"] == "acct-0"
    (customer,) = _events(ingest_log, "customer.upserted")
    assert customer["payload"] == {"customer_id": "cust-0", "pep": True}
    owners = {e["payload"]["account_id"]: e["payload"]["customer_id"] for e in _events(ingest_log)}
    assert owners["acct-3"] == "cust-1"
    assert ingest_file(path, ingest_log).references["accounts"].duplicates == 10


def test_a_bad_reference_row_rejects_everything_by_default(tmp_path: Path, ingest_log: Log) -> None:
    write_rows(
        tmp_path / "accounts.csv",
        [{"account_id": "acct-0", "customer_id": "c", "opened_at": "2020-01-01"}],
    )
    path = write_rows(tmp_path / "transactions.csv", _rows(3))
    report = ingest_file(path, ingest_log)
    assert report.exit_code == 1
    ((problem),) = report.problems
    assert (problem.file, problem.row, problem.field) == ("accounts.csv", 1, "opened_at")
    assert ingest_log.head().seq == 0
    dead = tmp_path / "dead.csv"
    report = ingest_file(path, ingest_log, dead_letter=dead)
    assert report.exit_code == 2
    assert report.references["accounts"].rejected == 1
    assert (tmp_path / "dead.accounts.csv").exists()
    assert len(_events(ingest_log)) == 3


def test_an_unreadable_file_is_rejected(tmp_path: Path, ingest_log: Log) -> None:
    path = tmp_path / "transactions.csv"
    header = b"transaction_id,occurred_at,account_id,direction,amount,currency\n"
    path.write_bytes(header + b"t\xff\xfe,2026-01-01T00:00:00Z,a,debit,1,USD\n")
    report = ingest_file(path, ingest_log)
    assert report.exit_code == 1
    assert "cannot be read as csv" in report.problems[0].reason


def test_missing_and_unknown_files_are_errors(tmp_path: Path, ingest_log: Log) -> None:
    with pytest.raises(NotFoundError):
        ingest_file(tmp_path / "nope.csv", ingest_log)
    (tmp_path / "transactions.xlsx").write_text("x")
    with pytest.raises(ValidationError, match="unknown file type"):
        ingest_file(tmp_path / "transactions.xlsx", ingest_log)


def test_problem_list_is_capped_but_counted(tmp_path: Path, ingest_log: Log) -> None:
    rows = [{**r, "direction": "?"} for r in _rows(150)]
    report = ingest_file(write_rows(tmp_path / "transactions.csv", rows), ingest_log)
    assert (len(report.problems), report.problem_count) == (100, 150)
    assert report.to_dict()["problems_truncated"] is True
