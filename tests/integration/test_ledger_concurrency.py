"""Many writers at once, on each backend: invariants hold and every key has one effect."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

from finmon.core.money import Money
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.ledger import Ledger, Posting, Transfer, trial_balance, verify_ledger
from finmon.ledger.group import GroupCommit
from finmon.ledger.journal import POSTED
from finmon.ledger.testing import CASH_USD, customer, open_chart

CUSTOMERS = ("c0", "c1", "c2", "c3", "c4", "c5")
WRITERS = 8
PER_WRITER = 30


def _commands(seed: int) -> list[Transfer]:
    """Random moves between customers; keys from a shared pool, so writers collide."""
    rng = random.Random(seed)  # noqa: S311 - test data
    commands = []
    for _ in range(PER_WRITER):
        source, target = rng.sample(CUSTOMERS, 2)
        n = rng.randrange(60)
        amount = Money(100 * (1 + n % 7), "USD")  # a key always means the same body
        key = f"k{n}:{source}:{target}"
        postings = (
            Posting.debit(customer(source), amount),
            Posting.credit(customer(target), amount),
        )
        commands.append(Transfer(key, postings))
    return commands


def test_concurrent_writers_never_break_an_invariant(
    store_factory: Callable[[], LogStore], signer: Signer
) -> None:
    setup = Ledger(Log(store_factory(), signer, checkpoint_interval=64))
    open_chart(setup, CUSTOMERS)
    for name in CUSTOMERS:  # 10.00 each: little enough that limits bite
        setup.move(f"fund:{name}", CASH_USD, customer(name), Money(1000, "USD"))
    ledgers = [Ledger(Log(store_factory(), signer, checkpoint_interval=64)) for _ in range(WRITERS)]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for command in _commands(index % 3):  # writers 0, 3, 6 send the very same requests
                ledgers[index].submit(command)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for ledger in ledgers:
            ledger.close()
    assert not failures, failures
    try:
        _check(setup)
    finally:
        setup.close()


def _check(setup: Ledger) -> None:

    report = verify_ledger(setup, deep=True)
    assert report.ok, report.to_dict()
    assert trial_balance(setup.all_balances()).balanced
    for name in CUSTOMERS:
        assert setup.balance(customer(name)).available >= 0, name
    posted_keys = Counter(
        record.envelope().payload["key"]
        for record in setup.log.read()
        if record.envelope().type == POSTED
    )
    assert posted_keys, "nothing was posted"
    assert max(posted_keys.values()) == 1
    rows = setup.read_rows("SELECT count(*), count(DISTINCT key) FROM ledger_transfers")
    assert rows[0][0] == rows[0][1]


def test_group_commit_shares_commits_and_keeps_each_outcome(
    store_factory: Callable[[], LogStore], signer: Signer
) -> None:
    ledger = Ledger(Log(store_factory(), signer, checkpoint_interval=64))
    try:
        open_chart(ledger, CUSTOMERS)
        for name in CUSTOMERS:
            ledger.move(f"fund:{name}", CASH_USD, customer(name), Money(1000, "USD"))
        group = GroupCommit(ledger)
        outcomes: dict[str, bool] = {}

        def work(index: int) -> None:
            for command in _commands(index):
                outcomes[f"{index}:{command.key}"] = group.submit(command).accepted

        threads = [threading.Thread(target=work, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(outcomes) > 0
        assert group.commits < WRITERS * PER_WRITER  # commits were shared
        _check(ledger)
    finally:
        ledger.close()
