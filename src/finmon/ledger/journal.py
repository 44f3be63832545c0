"""How ledger operations are written to the journal (a :class:`finmon.events.Log`).

One event per operation, accepted or not:

- ``ledger.account.opened`` / ``ledger.account.status_changed``: the chart.
- ``ledger.transfer.posted``: any accepted money movement (transfer, hold,
  post/void/expiry of a hold, reversal, adjustment) with the exact entries it
  made, so every change of any balance is traceable to one journal record and
  :func:`finmon.ledger.verify.verify_ledger` can rebuild every balance by
  summing entries, without re-running any business rule.
- ``ledger.transfer.rejected``: a refused operation with its problems. The
  audit record of an attempt lives in the journal rather than in a side table
  so it is hash-chained and checkpointed like everything else: nobody can
  delete the trace of a refused transfer without breaking the chain.

The request body is stored with every event, so the journal alone says what
was asked, what was decided and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from finmon.events.envelope import Envelope
from finmon.ledger.commands import Command, Transfer, body_hash
from finmon.ledger.model import Entry
from finmon.ledger.planning import ACCEPTED, Plan

OPENED = "ledger.account.opened"
STATUS_CHANGED = "ledger.account.status_changed"
POSTED = "ledger.transfer.posted"
REJECTED = "ledger.transfer.rejected"
EVENT_TYPES = (OPENED, STATUS_CHANGED, POSTED, REJECTED)


def event_type(command: Command, plan: Plan) -> str:
    if plan.status != ACCEPTED:
        return REJECTED
    return {"open_account": OPENED, "account_status": STATUS_CHANGED}.get(command.kind, POSTED)


def envelope_for(command: Command, plan: Plan, event_id: str, now: datetime) -> Envelope:
    """The journal record of one planned operation."""
    payload: dict[str, Any] = {
        "op": command.kind,
        "key": command.key,
        "body_hash": body_hash(command),
        "body": command.body(),
        "id": plan.id,
    }
    if plan.status == ACCEPTED:
        payload["entries"] = [entry.as_list() for entry in plan.entries]
    else:
        payload["code"] = plan.code
        payload["problems"] = [[p.field, p.reason, p.code] for p in plan.problems]
    partition = plan.id
    if isinstance(command, Transfer) and command.postings:
        partition = command.postings[0].account
    return Envelope(
        id=event_id,
        type=event_type(command, plan),
        schema_version=1,
        partition_key=partition,
        occurred_at=now,
        recorded_at=now,
        payload=payload,
    )


def entries_of(envelope: Envelope) -> list[Entry]:
    """The balance changes a journal record made (none for rejections and account events)."""
    if envelope.type != POSTED:
        return []
    return [Entry.from_list(row) for row in envelope.payload.get("entries", [])]


__all__ = [
    "EVENT_TYPES",
    "OPENED",
    "POSTED",
    "REJECTED",
    "STATUS_CHANGED",
    "entries_of",
    "envelope_for",
    "event_type",
]
