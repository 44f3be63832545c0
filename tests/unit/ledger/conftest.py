"""Ledger fixtures: one ledger per test on each backend (via the root store_factory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from finmon.core.clock import SimulatedClock
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.ledger import Ledger
from finmon.ledger.testing import open_chart


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def make_ledger(
    store_factory: Callable[[], LogStore], signer: Signer, clock: SimulatedClock
) -> Iterator[Callable[[], Ledger]]:
    """Opens (and reopens) the same ledger, as another process would."""
    opened: list[Ledger] = []

    def make() -> Ledger:
        ledger = Ledger(Log(store_factory(), signer, checkpoint_interval=8), clock=clock)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.reader.conn.close()


@pytest.fixture
def ledger(make_ledger: Callable[[], Ledger]) -> Ledger:
    return make_ledger()


@pytest.fixture
def chart(ledger: Ledger) -> Ledger:
    """A ledger with the toy bank's chart of accounts opened."""
    open_chart(ledger)
    return ledger
