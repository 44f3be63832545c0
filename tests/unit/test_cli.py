"""The `finmon` command: JSON contracts, exit codes, and tamper detection end to end.

One seeded log (3,000 sample events and their signed checkpoints) is built per
module through the library, as finmon itself writes it; each test that damages
it works on its own copy. The demo has its own tests at the end. In-process runs use
Typer's CliRunner; exit-code contracts (which ``finmon.cli.main`` implements)
also run the real entry point in a subprocess.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from finmon import __version__
from finmon.cli import app
from finmon.core.settings import Settings
from finmon.events.factory import open_log
from finmon.events.log import checkpoint_statement
from finmon.events.merkle import InclusionProof, verify_inclusion
from finmon.events.signing import load_public_key, verify_signature
from finmon.events.stores.base import Checkpoint
from finmon.testing import sample_envelopes

EVENTS = 3000
DEMO_TRANSACTIONS = 3000
PROBE = 1500  # inside the second checkpoint (1025..2048)


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The process environment without any FINMON_* setting, plus the data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINMON_")}
    env.update(FINMON_DATA_DIR=str(data_dir), COLUMNS="200", **extra)
    return env


def run_finmon(data_dir: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finmon", *args],
        env=clean_env(data_dir, **extra_env),
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flat(text: str) -> str:
    """Rich wraps long messages; compare them with whitespace collapsed."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("FINMON_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray ./finmon.toml


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding a 3,000-event log with signed and published checkpoints."""
    data_dir = tmp_path_factory.mktemp("seeded") / "data"
    log = open_log(Settings(data_dir=data_dir))
    log.append_batch(sample_envelopes(0, EVENTS))
    log.checkpoint_now()
    log.store.close()
    return data_dir


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """What `finmon demo --quick --json` reported, run by the real entry point."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    done = run_finmon(data_dir, "demo", "--quick", "--json", "--events", str(DEMO_TRANSACTIONS))
    assert done.returncode == 0, done.stderr
    return data_dir, orjson.loads(done.stdout)


@pytest.fixture
def data_dir(seeded: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded data dir (database, keys, published checkpoints)."""
    copy = tmp_path / "data"
    shutil.copytree(seeded, copy)
    return copy


def invoke(data_dir: Path, args: Sequence[str], **extra_env: str) -> Result:
    env = {"FINMON_DATA_DIR": str(data_dir), **extra_env}
    return CliRunner().invoke(app, list(args), env=env)


def invoke_json(data_dir: Path, args: Sequence[str], exit_code: int = 0) -> Any:
    result = invoke(data_dir, [*args, "--json"])
    assert result.exit_code == exit_code, (result.stdout, result.stderr, result.exception)
    return orjson.loads(result.stdout)  # exactly one JSON document, nothing else


def sql(data_dir: Path, statement: str, params: Sequence[object] = ()) -> None:
    with contextlib.closing(sqlite3.connect(data_dir / "events.db")) as conn:
        conn.execute(statement, params)
        conn.commit()


def body_of(data_dir: Path, seq: int) -> bytes:
    with contextlib.closing(sqlite3.connect(data_dir / "events.db")) as conn:
        row = conn.execute("SELECT body FROM log_records WHERE seq = ?", (seq,)).fetchone()
    assert row is not None
    return bytes(row[0])


# -- version, info, demo ---------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    result = invoke(tmp_path, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"finmon {__version__}"
    done = run_finmon(tmp_path / "data", "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"finmon {__version__}"
    assert not (tmp_path / "data").exists()  # --version touches nothing


def test_no_arguments_prints_help(tmp_path: Path) -> None:
    result = invoke(tmp_path, [])
    assert "events" in result.output
    assert "demo" in result.output


def test_info_json_is_one_document_naming_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "somewhere"
    document = invoke_json(data_dir, ["info"])
    assert document["data_dir"] == str(data_dir.resolve())
    assert document["version"] == __version__
    assert document["settings"]["log_store"] == "sqlite"
    assert document["settings"]["log_path"] == str(data_dir / "events.db")
    backends = {row["backend"]: row for row in document["backends"]}
    assert set(backends) == {"event log", "postgresql", "redis", "nats"}
    assert backends["event log"]["kind"] == "sqlite"
    assert backends["event log"]["reachable"] is True
    for name in ("postgresql", "redis", "nats"):
        assert backends[name]["configured"] is False
        assert backends[name]["reachable"] is None


def test_demo_reports_its_guarantees(demo_report: tuple[Path, dict[str, Any]]) -> None:
    data_dir, report = demo_report
    assert report["data_dir"] == str(data_dir)
    simulated = report["simulation"]
    assert simulated["transactions"] == DEMO_TRANSACTIONS
    assert simulated["instances"]  # typologies were injected
    ingested = report["ingest"]
    assert ingested["accepted"] == DEMO_TRANSACTIONS
    assert ingested["rejected"] == 0
    assert report["bus"]["consumed"] == DEMO_TRANSACTIONS
    assert report["internal_transfers_net_to_zero"] is True
    assert report["replay_matches_live"] is True
    assert report["log_head_seq"] == report["events_appended"]
    assert report["verify"]["ok"] is True
    assert report["verify"]["records_checked"] == report["log_head_seq"]
    assert report["proof"]["verified"] is True
    tamper = report["tamper_check"]
    assert tamper["detected"] is True
    assert tamper["first_bad_seq"] == tamper["edited_seq"]
    assert tamper["kind"] == "tampered"
    assert (data_dir / "events.db").is_file()
    assert (data_dir / "keys" / "log-signing.key").is_file()
    assert (data_dir / "keys" / "published-checkpoints.jsonl").is_file()
    assert (data_dir / "sim" / "demo" / "transactions.parquet").is_file()


def test_demo_runs_again_on_the_same_data_dir(demo_report: tuple[Path, dict[str, Any]]) -> None:
    data_dir, first = demo_report
    done = run_finmon(data_dir, "demo", "--quick", "--json", "--events", str(DEMO_TRANSACTIONS))
    assert done.returncode == 0, done.stderr
    again = orjson.loads(done.stdout)
    assert again["ingest"]["duplicates"] == DEMO_TRANSACTIONS  # same bank, stored once
    assert again["events_appended"] == 0
    assert again["log_head_seq"] == first["log_head_seq"]
    assert again["verify"]["ok"] is True


def test_demo_in_process_human_output(tmp_path: Path) -> None:
    result = invoke(tmp_path / "data", ["demo", "--events", "500"])
    assert result.exit_code == 0, result.exception
    assert "internal transfers net to zero" in result.stdout
    assert "NO" not in result.stdout


# -- verify ----------------------------------------------------------------------


def test_verify_intact_log(data_dir: Path) -> None:
    result = invoke(data_dir, ["events", "verify"])
    assert result.exit_code == 0
    assert "intact" in result.stdout
    assert "3,000 records" in result.stdout
    report = invoke_json(data_dir, ["events", "verify"])
    assert report["ok"] is True
    assert report["records_checked"] == EVENTS
    assert report["checkpoints_checked"] == 3
    assert report["first_bad_seq"] is None
    assert report["findings"] == []
    deep = invoke_json(data_dir, ["events", "verify", "--deep"])
    assert deep["ok"] is True


def test_verify_finds_an_edited_body(data_dir: Path) -> None:
    body = body_of(data_dir, PROBE)
    edited = body.replace(b'"n":', b'"n":9', 1)
    assert edited != body
    sql(data_dir, "UPDATE log_records SET body = ? WHERE seq = ?", (edited, PROBE))

    result = invoke(data_dir, ["events", "verify"])
    assert result.exit_code == 1
    assert f"first bad seq {PROBE}" in flat(result.stderr)
    assert "tampered" in result.stderr

    report = invoke_json(data_dir, ["events", "verify"], exit_code=1)
    assert report["ok"] is False
    assert report["first_bad_seq"] == PROBE
    assert report["kind"] == "tampered"
    assert report["records_checked"] == PROBE - 1

    done = run_finmon(data_dir, "events", "verify")
    assert done.returncode == 1
    assert f"first bad seq {PROBE}" in flat(done.stderr)
    assert "Traceback" not in done.stderr


def test_verify_finds_an_edited_hash(data_dir: Path) -> None:
    sql(data_dir, "UPDATE log_records SET hash = zeroblob(32) WHERE seq = ?", (PROBE,))
    report = invoke_json(data_dir, ["events", "verify"], exit_code=1)
    assert (report["first_bad_seq"], report["kind"]) == (PROBE, "tampered")


def test_verify_finds_a_missing_middle_record(data_dir: Path) -> None:
    sql(data_dir, "DELETE FROM log_records WHERE seq = ?", (PROBE,))
    report = invoke_json(data_dir, ["events", "verify"], exit_code=1)
    assert report["first_bad_seq"] == PROBE
    assert report["kind"] == "missing"


def test_verify_finds_a_truncated_tail(data_dir: Path) -> None:
    sql(data_dir, "DELETE FROM log_records WHERE seq > ?", (EVENTS - 10,))
    report = invoke_json(data_dir, ["events", "verify"], exit_code=1)
    assert report["first_bad_seq"] == EVENTS - 9
    assert report["kind"] == "truncated"
    done = run_finmon(data_dir, "events", "verify", "--json")
    assert done.returncode == 1
    assert orjson.loads(done.stdout)["kind"] == "truncated"


def test_verify_finds_a_truncation_that_also_rewrote_head_and_checkpoints(
    data_dir: Path,
) -> None:
    # An attacker with the database alone cannot reach the published anchors.
    cut = 2000
    sql(data_dir, "DELETE FROM log_records WHERE seq > ?", (cut,))
    sql(data_dir, "DELETE FROM log_checkpoints WHERE seq_to > ?", (cut,))
    with contextlib.closing(sqlite3.connect(data_dir / "events.db")) as conn:
        last_hash = conn.execute("SELECT hash FROM log_records WHERE seq = ?", (cut,)).fetchone()
        conn.execute("UPDATE log_head SET seq = ?, hash = ?", (cut, last_hash[0]))
        conn.commit()
    report = invoke_json(data_dir, ["events", "verify"], exit_code=1)
    assert report["first_bad_seq"] == cut + 1
    assert report["kind"] == "truncated"


# -- tail, prove, export, checkpoint ---------------------------------------------


def test_tail_json(data_dir: Path) -> None:
    document = invoke_json(data_dir, ["events", "tail"])
    assert document["head_seq"] == EVENTS
    assert [r["seq"] for r in document["records"]] == list(range(EVENTS - 9, EVENTS + 1))
    assert all(r["type"] == "test.payment" for r in document["records"])
    assert all(len(r["hash"]) == 16 for r in document["records"])
    three = invoke_json(data_dir, ["events", "tail", "-n", "3", "--type", "test.payment"])
    assert [r["seq"] for r in three["records"]] == [EVENTS - 2, EVENTS - 1, EVENTS]
    none = invoke_json(data_dir, ["events", "tail", "--type", "no.such"])
    assert none["records"] == []


def test_tail_human_output(data_dir: Path) -> None:
    result = invoke(data_dir, ["events", "tail", "-n", "2"])
    assert result.exit_code == 0
    assert str(EVENTS) in result.stdout
    assert "test.payment" in result.stdout


def test_prove_json_verifies_independently(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "proof.json"
    document = invoke_json(data_dir, ["events", "prove", str(PROBE), "--out", str(out)])
    assert document["verified"] is True
    assert orjson.loads(out.read_bytes()) == document
    proof = InclusionProof.from_dict(document["proof"])
    checkpoint = Checkpoint.from_dict(document["checkpoint"])
    assert proof.seq == PROBE
    assert proof.body == body_of(data_dir, PROBE)
    assert (checkpoint.seq_from, checkpoint.seq_to) == (1025, 2048)
    assert proof.leaf_index == PROBE - checkpoint.seq_from
    assert proof.tree_size == checkpoint.seq_to - checkpoint.seq_from + 1
    assert verify_inclusion(proof, checkpoint.root)
    # The auditor's side: the checkpoint is signed by the key published beside it.
    public = load_public_key(data_dir / "keys" / "log-signing.key.pub")
    with contextlib.closing(sqlite3.connect(data_dir / "events.db")) as conn:
        (log_id,) = conn.execute("SELECT value FROM log_meta WHERE key = 'log_id'").fetchone()
    assert verify_signature(public, checkpoint_statement(log_id, checkpoint), checkpoint.signature)
    assert not verify_inclusion(proof, bytes(32))


def test_prove_human_output(data_dir: Path) -> None:
    result = invoke(data_dir, ["events", "prove", "1"])
    assert result.exit_code == 0
    assert "1..1024" in result.stdout
    assert "True" in result.stdout


def test_prove_beyond_the_log_exits_2_with_a_clear_message(data_dir: Path) -> None:
    done = run_finmon(data_dir, "events", "prove", "999999")
    assert done.returncode == 2
    message = flat(done.stderr)
    assert "not_found" in message
    assert "999999" in message
    assert "does not exist" in message
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_prove_zero_is_a_usage_error(data_dir: Path) -> None:
    result = invoke(data_dir, ["events", "prove", "0"])
    assert result.exit_code == 2


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export(data_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"events.{fmt}"
    summary = invoke_json(data_dir, ["events", "export", "--format", fmt, "--out", str(out)])
    assert summary["records"] == EVENTS
    assert summary["format"] == fmt
    assert summary["out"] == str(out)
    if fmt == "jsonl":
        lines = out.read_bytes().splitlines()
        assert len(lines) == EVENTS
        first = orjson.loads(lines[0])
        assert first["seq"] == 1
        assert first["event"]["type"] == "test.payment"
    else:
        table = pq.read_table(out)
        assert table.num_rows == EVENTS
        assert table.column("seq").to_pylist()[-1] == EVENTS
        assert set(table.column("type").to_pylist()) == {"test.payment"}
    tail = tmp_path / f"tail.{fmt}"
    args = ["events", "export", "--format", fmt, "-o", str(tail), "--from-seq", "2991"]
    assert invoke_json(data_dir, args)["records"] == 10


def test_export_refuses_an_unknown_format(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = invoke(data_dir, ["events", "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 2
    assert not out.exists()


def test_checkpoint_when_everything_is_covered(data_dir: Path) -> None:
    assert invoke_json(data_dir, ["events", "checkpoint"]) == {"checkpoint": None}


# -- settings errors -------------------------------------------------------------


def test_bad_setting_exits_2_naming_the_field(data_dir: Path) -> None:
    done = run_finmon(data_dir, "events", "verify", FINMON_CHECKPOINT_INTERVAL="0")
    assert done.returncode == 2
    message = flat(done.stderr)
    assert "checkpoint_interval" in message
    assert "FINMON_CHECKPOINT_INTERVAL" in message
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_setting_in_process_raises_the_finmon_error(data_dir: Path) -> None:
    result = invoke(data_dir, ["info", "--json"], FINMON_CHECKPOINT_INTERVAL="zero")
    assert result.exit_code != 0
    assert result.exception is not None
    assert getattr(result.exception, "field", None) == "checkpoint_interval"


def test_unreadable_signing_key_exits_2(data_dir: Path) -> None:
    (data_dir / "keys" / "log-signing.key").write_bytes(b"garbage")
    done = run_finmon(data_dir, "events", "tail")
    assert done.returncode == 2
    assert "signing_key_path" in flat(done.stderr)
    assert "Traceback" not in done.stderr
