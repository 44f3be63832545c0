"""Account status as an explicit (state, trigger) -> state table.

Any pair not in the table is refused with the current state named, so a
frozen account cannot be frozen "again" silently and a closed account can
never be reopened: closing is final because statements and audits must be
able to rely on a closed account having no later postings.
"""

from __future__ import annotations

from finmon.ledger.model import Status

TRANSITIONS: dict[tuple[Status, str], Status] = {
    (Status.OPEN, "freeze"): Status.FROZEN,
    (Status.FROZEN, "unfreeze"): Status.OPEN,
    (Status.OPEN, "close"): Status.CLOSED,
    (Status.FROZEN, "close"): Status.CLOSED,
}


def next_status(current: Status, trigger: str) -> Status | None:
    """The status after ``trigger``, or ``None`` when the move is not allowed."""
    return TRANSITIONS.get((current, trigger))


__all__ = ["TRANSITIONS", "next_status"]
