"""One cross-shard transfer from a separate process, for the crash tests.

``python -m finmon.ledger.shard_worker --coord URL SCHEMA --shard NAME URL SCHEMA ...
--key K --debit A --credit B --amount "10.00 USD" [--pause-at PHASE]``

With ``--pause-at`` (or ``FINMON_2PC_PAUSE_AT``) the coordinator prints
``paused <phase> <gid>`` when it reaches that step (``prepared``: every leg
prepared, no decision; ``decided``: the commit decision logged, nothing
committed) and then waits forever, so a test can SIGKILL it right there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from finmon.core.money import Money
from finmon.ledger.sharding import CoordinatorLog, ShardedLedger, ShardSpec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finmon.ledger.shard_worker")
    parser.add_argument("--coord", nargs=2, required=True, metavar=("URL", "SCHEMA"))
    parser.add_argument("--shard", nargs=3, action="append", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--debit", required=True)
    parser.add_argument("--credit", required=True)
    parser.add_argument("--amount", required=True)
    parser.add_argument("--pause-at", default=os.environ.get("FINMON_2PC_PAUSE_AT", ""))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    pause_at = str(args.pause_at)

    def hook(phase: str, gid: str) -> None:
        if phase == pause_at:
            print(f"paused {phase} {gid}", flush=True)
            while True:
                time.sleep(60)

    shards = [ShardSpec(name, url, schema) for name, url, schema in args.shard]
    ledger = ShardedLedger(shards, CoordinatorLog(*args.coord), hook=hook)
    try:
        receipt = ledger.transfer(args.key, args.debit, args.credit, Money.parse(args.amount))
        print(f"committed {receipt.gid} replayed={receipt.replayed}", flush=True)
    finally:
        ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
