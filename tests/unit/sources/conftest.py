"""Fixtures for the sources tests: a log in a temporary data dir, and one valid row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finmon.core.settings import Settings, load_settings
from finmon.events.factory import open_log
from finmon.events.log import Log


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def ingest_log(settings: Settings) -> Iterator[Log]:
    log = open_log(settings)
    yield log
    log.store.close()


@pytest.fixture
def good_row() -> dict[str, Any]:
    return {
        "transaction_id": "tx-1",
        "occurred_at": "2026-01-05T10:15:00Z",
        "account_id": "acct-1",
        "direction": "debit",
        "amount": "12.50",
        "currency": "USD",
    }


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The test server via tests/conftest.py's require_postgres: skipped locally, fails in CI.

    Looked up among the loaded conftest plugins, because this directory's own
    conftest shadows the module name ``conftest`` for imports.
    """
    for plugin in request.config.pluginmanager.get_plugins():
        require = getattr(plugin, "require_postgres", None)
        if callable(require):
            url: str = require()
            return url
    raise LookupError("tests/conftest.py with require_postgres is not loaded")
