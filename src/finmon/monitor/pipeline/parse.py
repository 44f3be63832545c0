"""From ``transaction.received`` payloads to transactions, or to what is wrong with them.

Payloads are validated again on the consuming side: sources validate before
they publish, but the bus also carries events from other producers and from
older versions, and a consumer that trusts its input can be made to approve
garbage. Validation is vectorised over a whole batch
(:func:`finmon.monitor.transaction.validated`); if the batch as a whole cannot
be checked (a payload too odd for the columnar validator), each payload is
checked alone so one bad message never costs its neighbours their decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from finmon.core.errors import Problem
from finmon.monitor.transaction import Checked, validated


def check_payloads(payloads: Sequence[Mapping[str, Any]]) -> list[Checked]:
    """One :class:`Checked` per payload, in order; never raises for bad input."""
    if not payloads:
        return []
    try:
        return _renumber(validated(payloads), 0)
    except Exception:  # fall back to one payload at a time
        return [_check_one(payload, index) for index, payload in enumerate(payloads)]


def _check_one(payload: Mapping[str, Any], index: int) -> Checked:
    try:
        return _renumber(validated([payload]), index)[0]
    except Exception as exc:  # the payload, not the pipeline, is broken
        tid = payload.get("transaction_id")
        problem = Problem("payload", f"cannot be read as a transaction: {exc}", "invalid")
        return Checked(index, None, tid if isinstance(tid, str) else "", (problem,))


def _renumber(checked: list[Checked], offset: int) -> list[Checked]:
    if offset == 0:
        return checked
    return [Checked(c.index + offset, c.txn, c.transaction_id, c.problems) for c in checked]


__all__ = ["check_payloads"]
