"""Shared fixtures for the screening tests: the sample lists (when present) and fixture files."""

from __future__ import annotations

import pytest
from screening_helpers import SDN_DIR

from finmon.aml.screening import Entry, Screener, load_list


@pytest.fixture(scope="session")
def sdn_entries() -> list[Entry]:
    if not (SDN_DIR / "sdn.csv").exists():
        pytest.skip("sample OFAC SDN list not present")
    return load_list(SDN_DIR)


@pytest.fixture(scope="session")
def sdn_screener(sdn_entries: list[Entry]) -> Screener:
    return Screener(sdn_entries)
