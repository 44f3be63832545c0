"""A real `ingest sql` process killed with SIGKILL mid-load, then restarted, several times.

Every row of the source table must end up in the log exactly once (bad rows in
the dead letters exactly once): no loss, no repeat, wherever the kill lands.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from finmon.core.settings import load_settings
from finmon.events.factory import open_log
from finmon.sources.samples import sample_transactions
from finmon.sources.sql import engine_url
from finmon.sources.sqlstate import SqlState
from finmon.sources.warehouse import write_warehouse_table

ROWS = 12_000
BAD = {100, 5_000, 11_999}


def _require_postgres(config: pytest.Config) -> str:
    """tests/conftest.py's require_postgres (skips locally, fails under CI=true)."""
    for plugin in config.pluginmanager.get_plugins():
        require = getattr(plugin, "require_postgres", None)
        if callable(require):
            url: str = require()
            return url
    raise LookupError("tests/conftest.py is not loaded")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def source_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
        return
    url = _require_postgres(request.config)
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield url + f"?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _start(url: str, data_dir: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "finmon.commands.ingest", "sql", "--url", url]
    command += ["--table", "transactions", "--watermark", "loaded_at", "--key", "row_id"]
    command += ["--batch-size", "250", "--once"]
    env = {**os.environ, "FINMON_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _kill_after(process: subprocess.Popen[str], polls: int) -> None:
    assert process.stderr is not None
    seen = 0
    while seen < polls:
        line = process.stderr.readline()
        assert line, f"the poller ended early: {process.communicate()}"
        seen += "read" in line
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


def test_kill_9_mid_load_then_restart_loads_every_row_exactly_once(
    source_url: str, tmp_path: Path
) -> None:
    rows = sample_transactions(ROWS).to_pylist()
    for index in BAD:
        rows[index]["amount"] = "not money"
    write_warehouse_table(source_url, "transactions", rows)
    data_dir = tmp_path / "data"
    for polls in (3, 9, 17):  # land the kill at different points
        _kill_after(_start(source_url, data_dir), polls)
    final = _start(source_url, data_dir)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err

    log = open_log(load_settings(data_dir=data_dir))
    ids = [
        orjson.loads(r.body)["payload"]["transaction_id"]
        for r in log.read()
        if b'"transaction.received"' in r.body
    ]
    assert log.verify().ok
    log.store.close()
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    assert repeated == []
    expected = {r["transaction_id"] for i, r in enumerate(rows) if i not in BAD}
    assert set(ids) == expected
    letters = SqlState(data_dir / "sources.db").dead_letters("transactions")
    assert sorted(d.key for d in letters) == sorted(i + 1 for i in BAD)
