"""Group commit: many threads' single transfers share one transaction.

One commit costs an fsync (milliseconds on ordinary disks) however many
transfers it carries, and the journal lets one writer commit at a time. So
when several threads of a process submit at once, the first becomes the
*leader*: it takes everything queued, submits it as one batch (each operation
still accepted or rejected on its own, in arrival order), hands each thread
its outcome, and passes the lead to the next waiting thread. A lone caller
pays nothing extra: its batch is just itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from finmon.ledger.commands import Command
from finmon.ledger.ledger import Ledger
from finmon.ledger.model import Outcome


@dataclass(slots=True)
class _Slot:
    command: Command
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None
    error: BaseException | None = None
    lead: bool = False


class GroupCommit:
    """Submit through ``ledger``, batching concurrent callers into shared commits."""

    def __init__(self, ledger: Ledger, *, max_batch: int = 1000) -> None:
        self.ledger = ledger
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._leading = False
        self.commits = 0

    def submit(self, command: Command) -> Outcome:
        """Like :meth:`Ledger.submit`; returns when this command's batch has committed."""
        slot = _Slot(command)
        with self._lock:
            self._queue.append(slot)
            slot.lead = not self._leading
            self._leading = True
        if not slot.lead:
            slot.done.wait()
        if slot.lead:
            self._lead()
        if slot.error is not None:
            raise slot.error
        assert slot.outcome is not None  # noqa: S101 - set before done
        return slot.outcome

    def _lead(self) -> None:
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        try:
            outcomes = self.ledger.submit_batch([s.command for s in batch]).outcomes
        except BaseException as exc:  # noqa: BLE001 - every waiter gets the error
            for slot in batch:
                slot.error = exc
        else:
            for slot, outcome in zip(batch, outcomes, strict=True):
                slot.outcome = outcome
        self.commits += 1
        with self._lock:
            if self._queue:
                self._queue[0].lead = True
                self._queue[0].done.set()
            else:
                self._leading = False
        for slot in batch:
            slot.lead = False
            slot.done.set()


__all__ = ["GroupCommit"]
