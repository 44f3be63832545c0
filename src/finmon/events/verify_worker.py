"""One range of a parallel verify (:func:`finmon.events.verify.scan_chain`), in its own process.

Reads a JSON request on stdin (store spec, range, the stored hash before the
range) and writes the scan result as JSON on stdout.
"""

from __future__ import annotations

import dataclasses
import sys

import orjson

from finmon.events.stores.spec import open_spec
from finmon.events.verify import scan_range


def main() -> None:
    request = orjson.loads(sys.stdin.buffer.read())
    store = open_spec(tuple(request["spec"]))
    try:
        last, digest, finding = scan_range(
            store, request["from"], request["to"], bytes.fromhex(request["previous"])
        )
    finally:
        store.close()
    answer = {
        "last": last,
        "hash": digest.hex(),
        "finding": None if finding is None else dataclasses.asdict(finding),
    }
    sys.stdout.buffer.write(orjson.dumps(answer))


if __name__ == "__main__":
    main()
