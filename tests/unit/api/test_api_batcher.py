"""Group commit: concurrent appends share log transactions and each learns its own seq."""

from __future__ import annotations

import asyncio

from finmon.api.batcher import AppendBatcher
from finmon.events.log import Log
from finmon.testing import sample_envelope


def test_concurrent_appends_are_batched_and_answered_in_order(log: Log) -> None:
    batcher = AppendBatcher(log)
    envelopes = [sample_envelope(n) for n in range(50)]

    async def run() -> list[tuple[int, bool]]:
        results = await asyncio.gather(*(batcher.append(e) for e in envelopes))
        return [(r.seq, r.duplicate) for r in results]

    assert asyncio.run(run()) == [(n + 1, False) for n in range(50)]
    again = asyncio.run(run())
    assert again == [(n + 1, True) for n in range(50)]
    assert log.head().seq == 50


def test_a_duplicate_inside_one_batch(log: Log) -> None:
    batcher = AppendBatcher(log)
    event = sample_envelope(7)

    async def run() -> list[tuple[int, bool]]:
        results = await asyncio.gather(batcher.append(event), batcher.append(event))
        return [(r.seq, r.duplicate) for r in results]

    assert asyncio.run(run()) == [(1, False), (1, True)]


def test_a_failed_append_fails_every_waiter(log: Log) -> None:
    import pytest

    from finmon.core.errors import UnavailableError

    def broken(envelopes: object, **_: object) -> None:
        raise UnavailableError("store down")

    log.append_batch = broken  # type: ignore[method-assign, assignment]
    batcher = AppendBatcher(log)

    async def run() -> list[object]:
        events = [sample_envelope(n) for n in range(3)]
        return await asyncio.gather(*(batcher.append(e) for e in events), return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, UnavailableError) for r in results)
    with pytest.raises(UnavailableError):
        asyncio.run(batcher.append(sample_envelope(9)))
