"""The sharded ledger: stable placement, 2PC across shards, crashes and recovery.

Real PostgreSQL (shards are schemas of the test database), real processes
killed with SIGKILL between PREPARE and COMMIT. Needs max_prepared_transactions
> 0 (`make postgres-2pc`): skipped without it outside CI, a failure under CI.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from finmon.core.errors import ConflictError, FinmonError, UnavailableError, ValidationError
from finmon.core.money import Money
from finmon.ledger.sharding import (
    ABORTED,
    DONE,
    CoordinatorLog,
    ShardedLedger,
    ShardSpec,
    shard_gid,
    shard_of,
)
from finmon.store.postgres import connect_postgres
from finmon.testing import in_ci, postgres_schema

USD = "USD"


def test_placement_is_stable_and_spread() -> None:
    # Fixed values: SHA-256 based, the same in every process and every run.
    assert [shard_of(f"acct-{n}", 2) for n in range(8)] == _EXPECTED
    counts = [0, 0, 0, 0]
    for n in range(4000):
        counts[shard_of(f"customer:{n}", 4)] += 1
    assert all(800 < c < 1200 for c in counts), counts
    with pytest.raises(ValidationError):
        shard_of("x", 0)


_EXPECTED = [1, 0, 0, 0, 1, 0, 0, 1]


@dataclass
class Cluster:
    url: str
    shards: list[ShardSpec]
    coord: tuple[str, str]

    def ledger(self, timeout_s: float = 5.0) -> ShardedLedger:
        return ShardedLedger(self.shards, CoordinatorLog(*self.coord), timeout_s=timeout_s)


def _require_2pc(url: str) -> None:
    with connect_postgres(url, autocommit=True) as conn:
        row = conn.execute("SHOW max_prepared_transactions").fetchone()
    if row is None or int(row[0]) == 0:
        message = "max_prepared_transactions = 0: run `make postgres-2pc`"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


def _require_postgres(config: pytest.Config) -> str:
    """tests/conftest.py's require_postgres (skips locally, fails under CI=true)."""
    for plugin in config.pluginmanager.get_plugins():
        require = getattr(plugin, "require_postgres", None)
        if callable(require):
            url: str = require()
            return url
    raise LookupError("tests/conftest.py is not loaded")


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    url = _require_postgres(request.config)
    _require_2pc(url)
    with postgres_schema(url) as (target, schema):
        shards = [ShardSpec(f"{schema}_s{i}", target, f"{schema}_s{i}") for i in range(2)]
        made = Cluster(target, shards, (target, f"{schema}_coord"))
        ledger = made.ledger()
        ledger.setup()
        ledger.close()
        try:
            yield made
        finally:
            _rollback_leftovers(target, shards)


def _rollback_leftovers(url: str, shards: list[ShardSpec]) -> None:
    """Prepared transactions hold locks and would block dropping the schemas."""
    with connect_postgres(url, autocommit=True) as conn:
        for (gid,) in conn.execute("SELECT gid FROM pg_prepared_xacts").fetchall():
            if any(str(gid).endswith(f".{s.name}") for s in shards):
                conn.execute(f"ROLLBACK PREPARED '{gid}'")


def _accounts(ledger: ShardedLedger) -> tuple[str, str]:
    """Two customer accounts on different shards, opened with no overdraft."""
    alice = next(f"alice-{n}" for n in range(100) if ledger.shard_for(f"alice-{n}") == 0)
    bob = next(f"bob-{n}" for n in range(100) if ledger.shard_for(f"bob-{n}") == 1)
    for account in (alice, bob):
        ledger.open_account(account, USD, overdraft_limit=Money(0, USD))
    return alice, bob


def _funded(ledger: ShardedLedger, amount: str = "100.00") -> tuple[str, str]:
    alice, bob = _accounts(ledger)
    funding = next(f"bank-{n}" for n in range(100) if ledger.shard_for(f"bank-{n}") == 0)
    ledger.open_account(funding, USD)  # the bank's own account: no limit
    ledger.transfer("fund", funding, alice, Money.of(amount, USD))
    return alice, bob


def _prepared(ledger: ShardedLedger) -> list[str]:
    return [gid for index in range(len(ledger.shards)) for gid in ledger._in_doubt(index)]


def _assert_books(ledger: ShardedLedger) -> None:
    assert ledger.check() == []
    assert _prepared(ledger) == []


@pytest.mark.postgres
def test_cross_shard_transfer_commits_on_both_shards(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)
        receipt = ledger.transfer("pay-1", alice, bob, Money.of("30.25", USD))
        assert not receipt.replayed
        assert ledger.balance(alice) == 6975
        assert ledger.balance(bob) == 3025
        balances = ledger.balances()
        assert balances[(0, "clearing:USD")] == (USD, -3025)  # credited on alice's shard
        assert balances[(1, "clearing:USD")] == (USD, 3025)  # debited on bob's shard
        _assert_books(ledger)
        assert ledger.coordinator.states()[receipt.gid][0] == DONE
    finally:
        ledger.close()


@pytest.mark.postgres
def test_a_refused_leg_aborts_the_prepared_other_leg(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)
        # bob (shard 1) has nothing: the debit leg on shard 1 fails after the credit
        # leg on shard 0 was already prepared; that one must be rolled back.
        with pytest.raises(ValidationError, match="overdraft"):
            ledger.transfer("too-much", bob, alice, Money.of("1.00", USD))
        assert ledger.balance(alice) == 10000
        assert ledger.balance(bob) == 0
        _assert_books(ledger)
        with pytest.raises(ValidationError, match="unknown account"):
            ledger.transfer("ghost", alice, "nobody-1", Money.of("1.00", USD))
        assert ledger.balance(alice) == 10000
        _assert_books(ledger)
    finally:
        ledger.close()


def _worker(
    cluster: Cluster, key: str, debit: str, credit: str, pause_at: str
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "finmon.ledger.shard_worker", "--coord", *cluster.coord]
    for shard in cluster.shards:
        command += ["--shard", shard.name, shard.url, shard.schema]
    command += ["--key", key, "--debit", debit, "--credit", credit, "--amount", "40.00 USD"]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "FINMON_2PC_PAUSE_AT": pause_at},
    )


def _kill_at(cluster: Cluster, key: str, alice: str, bob: str, phase: str) -> str:
    process = _worker(cluster, key, alice, bob, phase)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(f"paused {phase}"), process.stderr.read() if process.stderr else line
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    return line.split()[2]


@pytest.mark.postgres
def test_kill_9_after_prepare_before_decision_rolls_back(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)
        gid = _kill_at(cluster, "crash-1", alice, bob, "prepared")
        assert sorted(_prepared(ledger)) == [gid, gid]  # in doubt on both shards
        # too young to presume abandoned: a live coordinator might still decide
        assert ledger.recover(abandon_after_s=60)["left"] == 2
        counts = ledger.recover(abandon_after_s=0)
        assert counts == {"committed": 0, "rolled_back": 2, "left": 0}
        assert ledger.coordinator.states()[gid][0] == ABORTED
        assert (ledger.balance(alice), ledger.balance(bob)) == (10000, 0)
        _assert_books(ledger)
        # the sender retries the same key: applied once
        assert not ledger.transfer("crash-1", alice, bob, Money.of("40.00", USD)).replayed
        assert ledger.transfer("crash-1", alice, bob, Money.of("40.00", USD)).replayed
        assert (ledger.balance(alice), ledger.balance(bob)) == (6000, 4000)
        _assert_books(ledger)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_kill_9_after_commit_decision_recovery_commits(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)
        gid = _kill_at(cluster, "crash-2", alice, bob, "decided")
        assert sorted(_prepared(ledger)) == [gid, gid]
        assert (ledger.balance(alice), ledger.balance(bob)) == (10000, 0)  # not visible yet
        assert ledger.recover() == {"committed": 2, "rolled_back": 0, "left": 0}
        assert ledger.coordinator.states()[gid][0] == DONE
        assert (ledger.balance(alice), ledger.balance(bob)) == (6000, 4000)
        _assert_books(ledger)
        again = ledger.transfer("crash-2", alice, bob, Money.of("40.00", USD))
        assert again.replayed
        assert again.gid == gid
        assert (ledger.balance(alice), ledger.balance(bob)) == (6000, 4000)
        assert ledger.recover() == {"committed": 0, "rolled_back": 0, "left": 0}
    finally:
        ledger.close()


def _terminate(url: str, pid: int) -> None:
    with connect_postgres(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.postgres
def test_shard_connection_dropped_before_prepare_aborts_everything(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)

        def hook(phase: str, gid: str) -> None:
            if phase == f"before_prepare:{cluster.shards[1].name}":
                _terminate(cluster.url, ledger.conns[1].info.backend_pid)

        ledger.hook = hook
        with pytest.raises(UnavailableError, match="aborted"):
            ledger.transfer("cut-1", alice, bob, Money.of("10.00", USD))
        ledger.hook = None
        assert (ledger.balance(alice), ledger.balance(bob)) == (10000, 0)
        _assert_books(ledger)  # shard 0's prepared leg was rolled back
        states = ledger.coordinator.states()
        assert [s for s, _ in states.values()].count(ABORTED) == 1
        # the connection was replaced; a retry of the same key goes through once
        ledger.transfer("cut-1", alice, bob, Money.of("10.00", USD))
        assert (ledger.balance(alice), ledger.balance(bob)) == (9000, 1000)
        _assert_books(ledger)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_shard_connection_dropped_after_decision_still_commits(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)

        def hook(phase: str, gid: str) -> None:
            if phase == "decided":
                _terminate(cluster.url, ledger.conns[1].info.backend_pid)

        ledger.hook = hook
        receipt = ledger.transfer("cut-2", alice, bob, Money.of("10.00", USD))
        ledger.hook = None
        assert ledger.coordinator.states()[receipt.gid][0] == DONE
        assert (ledger.balance(alice), ledger.balance(bob)) == (9000, 1000)
        _assert_books(ledger)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_timeout_aborts_a_blocked_transfer(cluster: Cluster) -> None:
    ledger = cluster.ledger(timeout_s=0.5)
    blocker = connect_postgres(cluster.url, autocommit=True)
    try:
        alice, bob = _funded(ledger)
        blocker.execute("BEGIN")
        blocker.execute(
            f'SELECT 1 FROM "{cluster.shards[1].schema}".shard_accounts WHERE id = %s FOR UPDATE',
            (bob,),
        )
        with pytest.raises(UnavailableError):
            ledger.transfer("slow-1", alice, bob, Money.of("10.00", USD))
        blocker.execute("ROLLBACK")
        assert (ledger.balance(alice), ledger.balance(bob)) == (10000, 0)
        _assert_books(ledger)
    finally:
        blocker.close()
        ledger.close()


@pytest.mark.postgres
def test_same_transfer_twice_and_concurrently_has_one_effect(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger)
        first = ledger.transfer("dup-1", alice, bob, Money.of("5.00", USD))
        assert ledger.transfer("dup-1", alice, bob, Money.of("5.00", USD)).replayed
        with pytest.raises(ConflictError):
            ledger.transfer("dup-1", alice, bob, Money.of("6.00", USD))
        assert first.gid

        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def deliver() -> None:
            mine = cluster.ledger()
            try:
                barrier.wait()
                receipt = mine.transfer("dup-2", alice, bob, Money.of("7.00", USD))
                outcomes.append("replayed" if receipt.replayed else "applied")
            except FinmonError as exc:
                outcomes.append(type(exc).__name__)
            finally:
                mine.close()

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert outcomes.count("applied") == 1, outcomes
        assert set(outcomes) <= {"applied", "replayed", "ConflictError"}, outcomes
        assert ledger.transfer("dup-2", alice, bob, Money.of("7.00", USD)).replayed
        assert (ledger.balance(alice), ledger.balance(bob)) == (10000 - 1200, 1200)
        _assert_books(ledger)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_concurrent_cross_shard_load_keeps_the_books(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    try:
        alice, bob = _funded(ledger, "50.00")
        errors: list[str] = []

        def client(n: int) -> None:
            mine = cluster.ledger()
            try:
                for i in range(20):
                    src, dst = (alice, bob) if (n + i) % 2 else (bob, alice)
                    try:
                        mine.transfer(f"load-{n}-{i}", src, dst, Money.of("3.00", USD))
                    except ValidationError:
                        pass  # overdraft refusals are expected under contention
                    except FinmonError as exc:
                        errors.append(str(exc))
            finally:
                mine.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        assert ledger.balance(alice) >= 0
        assert ledger.balance(bob) >= 0
        assert ledger.balance(alice) + ledger.balance(bob) == 5000
        _assert_books(ledger)
    finally:
        ledger.close()


def test_shard_gid_names_the_shard() -> None:
    assert shard_gid("fm2pc_x", ShardSpec("s1", "u", "s")) == "fm2pc_x.s1"


@pytest.mark.postgres
def test_coordinator_log_lost_before_decision_leaves_it_to_recovery(cluster: Cluster) -> None:
    ledger = cluster.ledger()
    recovery = cluster.ledger()
    try:
        alice, bob = _funded(ledger)

        def hook(phase: str, gid: str) -> None:
            if phase == "prepared":
                _terminate(cluster.url, ledger.coordinator.conn.info.backend_pid)

        ledger.hook = hook
        with pytest.raises(UnavailableError, match="decision unknown"):
            ledger.transfer("lost-1", alice, bob, Money.of("10.00", USD))
        assert len(_prepared(recovery)) == 2  # in doubt, not guessed at
        assert recovery.recover(abandon_after_s=0) == {
            "committed": 0,
            "rolled_back": 2,
            "left": 0,
        }
        assert (recovery.balance(alice), recovery.balance(bob)) == (10000, 0)
        _assert_books(recovery)
    finally:
        recovery.close()
        with contextlib.suppress(Exception):
            ledger.close()
