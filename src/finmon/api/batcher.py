"""Group commit: concurrent single-transaction requests share one log append.

Every append to the log is one database transaction (and, with SQLite's
``synchronous=full``, one fsync). Under load, requests that arrive while an
append is in flight wait together and go into the next append as one batch,
so the commit cost is paid once per batch rather than once per request, and
the commit runs in a worker thread instead of blocking the event loop. With
no concurrency a batch is one request and nothing is delayed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from finmon.events.envelope import Envelope
from finmon.events.log import Log


@dataclass(frozen=True, slots=True)
class Appended:
    """Where an envelope is in the log, and whether it was already there."""

    seq: int
    duplicate: bool


class AppendBatcher:
    """Collects envelopes from concurrent requests into log appends (one drain at a time)."""

    def __init__(self, log: Log, max_batch: int = 2048) -> None:
        self._log = log
        self._max = max_batch
        self._pending: list[tuple[Envelope, asyncio.Future[Appended]]] = []
        self._draining = False

    async def append(self, envelope: Envelope) -> Appended:
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._pending.append((envelope, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
                try:
                    result = await asyncio.to_thread(
                        self._log.append_batch, [envelope for envelope, _ in batch]
                    )
                except Exception as exc:  # noqa: BLE001 - every waiter gets the failure
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                seqs = {event_id: seq for seq, event_id in result.appended}
                claimed: set[str] = set()
                for envelope, future in batch:
                    if future.done():
                        continue
                    if envelope.id in seqs and envelope.id not in claimed:
                        claimed.add(envelope.id)
                        future.set_result(Appended(seqs[envelope.id], False))
                    else:  # stored before (duplicates names its seq) or earlier in this batch
                        seq = result.duplicates.get(envelope.id) or seqs[envelope.id]
                        future.set_result(Appended(seq, True))
        finally:
            self._draining = False


__all__ = ["AppendBatcher", "Appended"]
