"""POST /v1/transactions (one), /batch (many), GET /v1/transactions/{id}.

A transaction is validated (the pydantic model for shape, then the canonical
rules of :mod:`finmon.sources.validate` for meaning: currency precision,
dates), stored as a ``transaction.received`` event, and then decided by the
app's monitoring engine (:mod:`finmon.api.monitoring`) before the answer: 201
with the event id, the log sequence and the decision. A transaction that fails
validation is refused (422 naming the field): nothing is stored, nothing is
scored, so it can never be approved. Storing is idempotent by the bank's
``transaction_id`` (the event id derives from it) and so is deciding (the
decision store keeps the first decision): a retry, with or without an
Idempotency-Key, answers 200 with ``duplicate: true`` and the same decision,
and the engine's feature windows never count a transaction twice.

The single-transaction route is ``async``: it validates on the event loop
(tens of microseconds), hands the event to :class:`~finmon.api.batcher.AppendBatcher`,
which group-commits concurrent requests in a worker thread, and scores in the
thread pool (the engine is CPU work under a lock). The batch route moves its
work to the thread pool in one hop and scores the batch in one call.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.monitor_schemas import BatchDecided, TransactionDecided, TransactionDetail
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import event_out, idempotent, idempotent_async
from finmon.api.routers.decisions import decision_out
from finmon.api.schemas import TransactionBatch, TransactionCreate
from finmon.api.validation import canonical_rows
from finmon.core.errors import NotFoundError, ValidationError
from finmon.events.envelope import Envelope
from finmon.monitor.decision import OUTCOMES
from finmon.monitor.transaction import Txn, from_row
from finmon.sources.events import transaction_envelope, transaction_event_id

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/transactions", tags=["transactions"])
Writer = Annotated[Principal, Depends(require("transactions:write"))]
Reader = Annotated[Principal, Depends(require("transactions:read"))]


def _rows(items: list[TransactionCreate]) -> list[dict[str, Any]]:
    return [item.model_dump(exclude_none=True) for item in items]


def _checked(
    items: list[TransactionCreate], correlation_id: str, prefix: str, ctx: Any
) -> tuple[list[Envelope], list[Txn]]:
    """Validate the canonical meaning of every row; all problems at once, nothing stored.

    Returns the events to store and the same transactions as the engine reads them.
    """
    rows = canonical_rows(_rows(items), prefix)
    envelopes = [
        transaction_envelope(row, clock=ctx.clock, correlation_id=correlation_id or None)
        for row in rows
    ]
    return envelopes, [from_row(row) for row in rows]


_DUPLICATE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "received before: the stored event and the first decision",
        "model": TransactionDecided,
    }
}


@router.post(
    "",
    status_code=201,
    response_model=TransactionDecided,
    responses=_DUPLICATE,
    summary="Submit one transaction; it is stored and decided (score, outcome, reasons)",
)
async def submit(
    request: Request,
    ctx: Ctx,
    principal: Writer,
    body: TransactionCreate,
    key: IdempotencyKey = None,
) -> Any:
    cid = str(request.state.correlation_id)

    async def work() -> tuple[int, Any]:
        envelopes, txns = _checked([body], cid, "", ctx)
        appended = await ctx.batcher.append(envelopes[0])
        decided = await run_in_threadpool(ctx.monitoring.decide, txns)
        return 200 if appended.duplicate else 201, {
            "status": "decided",
            "transaction_id": body.transaction_id,
            "event_id": envelopes[0].id,
            "seq": appended.seq,
            "duplicate": appended.duplicate,
            "decision": decision_out(decided[0]),
        }

    return await idempotent_async(ctx, request, principal, key, body, work)


@router.post(
    "/batch",
    status_code=201,
    response_model=BatchDecided,
    summary="Submit up to 10,000 transactions atomically (all valid, or none); each decided",
)
async def submit_batch(
    request: Request,
    ctx: Ctx,
    principal: Writer,
    body: TransactionBatch,
    key: IdempotencyKey = None,
) -> Any:
    cid = str(request.state.correlation_id)
    if len(body.transactions) > ctx.api.max_batch:
        raise ValidationError(f"at most {ctx.api.max_batch} transactions", field="transactions")

    def work() -> tuple[int, Any]:
        envelopes, txns = _checked(body.transactions, cid, "transactions.", ctx)
        result = ctx.log.append_batch(envelopes)
        seqs = [seq for seq, _ in result.appended]
        decided = ctx.monitoring.decide(txns)
        outcomes = dict.fromkeys(OUTCOMES, 0)
        for record in decided:
            outcomes[record.decision.outcome] += 1
        return 201, {
            "status": "decided",
            "received": len(envelopes),
            "appended": len(seqs),
            "duplicates": len(result.duplicates),
            "first_seq": seqs[0] if seqs else None,
            "last_seq": seqs[-1] if seqs else None,
            "outcomes": outcomes,
            "decisions": [decision_out(r) for r in decided],
        }

    # A batch validates and appends thousands of rows: off the event loop, in one hop.
    return await run_in_threadpool(idempotent, ctx, request, principal, key, body, work)


@router.get(
    "/{transaction_id}",
    response_model=TransactionDetail,
    summary="The stored transaction.received event (PII masked by role) and its decision",
)
def get_transaction(
    ctx: Ctx,
    principal: Reader,
    transaction_id: Annotated[str, Path(min_length=1, max_length=128)],
) -> Any:
    event_id = transaction_event_id(transaction_id)
    with ctx.log.store.writer() as writer:
        seq = writer.known_ids([event_id]).get(event_id)
    record = ctx.log.store.record(seq) if seq else None
    if record is None:
        raise NotFoundError(f"no transaction {transaction_id!r}", field="transaction_id")
    decided = ctx.monitoring.decision(transaction_id)
    return {
        **event_out(record[0], orjson.loads(record[2]), principal),
        "decision": None if decided is None else decision_out(decided),
    }


__all__ = ["router"]
