"""A separate process that appends to a log: for crash (kill -9) and two-writer tests.

Usage::

    python -m finmon.testing.log_writer --key KEYFILE --sqlite PATH | --postgres URL --schema S
        --start N --batches B --batch-size K [--interval I]

It prints ``appended <last seq>`` after every committed batch, so a test can
wait for progress and kill it mid-batch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from finmon.events.log import Log
from finmon.events.signing import Signer
from finmon.events.stores.base import LogStore
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.testing import sample_envelopes


def _store(args: argparse.Namespace) -> LogStore:
    if args.sqlite:
        return SqliteLogStore(Path(args.sqlite))
    from finmon.events.stores.postgres import PostgresLogStore

    return PostgresLogStore(args.postgres, schema=args.schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--key", required=True)
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--schema", default="finmon_events")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--interval", type=int, default=64)
    args = parser.parse_args(argv)
    log = Log(
        _store(args), Signer.load_or_create(Path(args.key)), checkpoint_interval=args.interval
    )
    for batch in range(args.batches):
        first = args.start + batch * args.batch_size
        result = log.append_batch(sample_envelopes(first, args.batch_size))
        sys.stdout.write(f"appended {result.last_seq}\n")
        sys.stdout.flush()
    log.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
