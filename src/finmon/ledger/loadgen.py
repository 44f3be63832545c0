"""A separate process that posts batches of transfers: for kill -9 tests and load.

Usage::

    python -m finmon.ledger.loadgen --key KEYFILE (--sqlite PATH | --postgres URL --schema S)
        [--batches B] [--batch-size K]

It opens the toy chart (idempotently), then posts batch ``b`` as the
transfers with keys ``lg:<b>:<i>``, printing ``committed <b> <seq>`` after
each. The keys are deterministic, so running it again after a crash re-sends
what may or may not have committed, and idempotency must make that harmless.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from finmon.core.money import Money
from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.ledger.commands import Transfer
from finmon.ledger.ledger import Ledger
from finmon.ledger.model import Posting
from finmon.ledger.testing import CASH_USD, customer, open_chart

NAMES = ("p0", "p1", "p2", "p3")


def _store(args: argparse.Namespace) -> LogStore:
    if args.sqlite:
        from finmon.events.stores.sqlite import SqliteLogStore

        return SqliteLogStore(Path(args.sqlite))
    from finmon.events.stores.postgres import PostgresLogStore

    return PostgresLogStore(args.postgres, schema=args.schema)


def batch(number: int, size: int) -> list[Transfer]:
    """Batch ``number``: the same transfers every time it is asked for."""
    commands = []
    for i in range(size):
        source, target = NAMES[(number + i) % 4], NAMES[(number + i + 1) % 4]
        amount = Money(1 + (number * size + i) % 97, "USD")
        legs = (Posting.debit(customer(source), amount), Posting.credit(customer(target), amount))
        commands.append(Transfer(f"lg:{number}:{i}", legs))
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--key", required=True)
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--schema", default="finmon_ledger")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args(argv)
    ledger = Ledger(
        Log(_store(args), Signer.load_or_create(Path(args.key)), checkpoint_interval=64)
    )
    open_chart(ledger, NAMES)
    for name in NAMES:
        ledger.move(f"fund:{name}", CASH_USD, customer(name), Money(10**8, "USD"))
    for number in range(args.batches):
        result = ledger.submit_batch(batch(number, args.batch_size))
        sys.stdout.write(f"committed {number} {max(o.seq for o in result.outcomes)}\n")
        sys.stdout.flush()
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
