"""Properties: money is conserved, the books balance, a balance is the sum of its postings,
and the ledger decides exactly as a plain serial model of the same rules would."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from finmon.core.clock import SimulatedClock
from finmon.core.money import Money
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.ledger import (
    Command,
    Ledger,
    PostHold,
    Posting,
    Receipt,
    Reverse,
    Transfer,
    VoidHold,
    trial_balance,
    verify_ledger,
)
from finmon.ledger.testing import CASH_USD, customer, open_chart

SIGNER = Signer.generate()
NAMES = ("a", "b", "c")
START = 500  # minor units each customer is funded with


@contextmanager
def fresh_ledger() -> Iterator[Ledger]:
    with tempfile.TemporaryDirectory() as scratch:
        store = SqliteLogStore(Path(scratch) / "ledger.db", synchronous="off")
        ledger = Ledger(Log(store, SIGNER, checkpoint_interval=32), clock=SimulatedClock())
        open_chart(ledger, NAMES)
        for name in NAMES:
            ledger.move(f"fund:{name}", CASH_USD, customer(name), Money(START, "USD"))
        try:
            yield ledger
        finally:
            ledger.close()


moves = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(1, 400)).filter(
        lambda m: m[0] != m[1]
    ),
    max_size=25,
)


def _move(index: int, source: str, target: str, minor: int) -> Transfer:
    amount = Money(minor, "USD")
    legs = (Posting.debit(customer(source), amount), Posting.credit(customer(target), amount))
    return Transfer(f"m{index}", legs)


@settings(max_examples=25, deadline=None)
@given(moves, st.booleans())
def test_the_ledger_decides_like_a_serial_model(
    plan: list[tuple[str, str, int]], batched: bool
) -> None:
    model = dict.fromkeys(NAMES, START)
    expected = []
    for source, target, minor in plan:
        ok = model[source] >= minor  # deposits may not go below zero
        if ok:
            model[source] -= minor
            model[target] += minor
        expected.append(ok)
    with fresh_ledger() as ledger:
        commands = [_move(i, *m) for i, m in enumerate(plan)]
        if batched:
            outcomes = ledger.submit_batch(commands).outcomes
        else:
            outcomes = [ledger.submit(c) for c in commands]
        assert [o.accepted for o in outcomes] == expected
        for name in NAMES:
            assert ledger.balance(customer(name)).posted == model[name]
        assert sum(model.values()) == START * len(NAMES)  # money conserved


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("move"), st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(1, 300)
        ),
        st.tuples(
            st.just("hold"), st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(1, 300)
        ),
        st.tuples(st.just("post"), st.integers(0, 30), st.none(), st.integers(0, 300)),
        st.tuples(st.just("void"), st.integers(0, 30), st.none(), st.just(0)),
        st.tuples(st.just("reverse"), st.integers(0, 30), st.none(), st.just(0)),
    ),
    max_size=30,
)


def _command(index: int, op: tuple[str, object, object, int], ids: list[str]) -> Command | None:
    kind, first, second, minor = op
    if kind in ("move", "hold"):
        if first == second:
            return None
        legs = _move(index, str(first), str(second), minor).postings
        return Transfer(f"o{index}", legs, hold_seconds=60 if kind == "hold" else None)
    if not ids:
        return None
    target = ids[int(str(first)) % len(ids)]
    if kind == "post":
        return PostHold(f"o{index}", target, Money(minor, "USD") if minor else None)
    if kind == "void":
        return VoidHold(f"o{index}", target)
    return Reverse(f"o{index}", target)


@settings(max_examples=25, deadline=None)
@given(ops)
def test_any_sequence_of_operations_keeps_the_books_sound(
    sequence: list[tuple[str, object, object, int]],
) -> None:
    with fresh_ledger() as ledger:
        ids: list[str] = []
        for index, op in enumerate(sequence):
            command = _command(index, op, ids)
            if command is None:
                continue
            outcome = ledger.submit(command)
            if isinstance(outcome, Receipt):
                ids.append(outcome.transfer_id)
        assert verify_ledger(ledger).ok  # every balance = the sum of its postings and journal
        assert trial_balance(ledger.all_balances()).balanced  # money neither made nor lost
        for name in NAMES:
            balance = ledger.balance(customer(name))
            assert balance.available >= 0
            assert balance.posted >= 0
