"""POST /v1/transactions (one), /batch (many), GET /v1/transactions/{id}.

The monitoring engine that decides on transactions does not exist yet, so a
transaction is validated (the pydantic model for shape, then the canonical
rules of :mod:`finmon.sources.validate` for meaning: currency precision, dates)
and stored as a ``transaction.received`` event; the answer is 202 with the
event id and log sequence. No score is invented. Storing is idempotent by the
bank's ``transaction_id`` (the event id derives from it), so a retry without
an Idempotency-Key is still stored once (``duplicate: true``).

The single-transaction route is ``async``: it validates on the event loop
(tens of microseconds) and hands the event to :class:`~finmon.api.batcher.AppendBatcher`,
which group-commits concurrent requests in a worker thread. The batch route
moves its work to the thread pool in one hop.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import event_out, idempotent, idempotent_async
from finmon.api.schemas import (
    BatchAccepted,
    EventPublic,
    TransactionAccepted,
    TransactionBatch,
    TransactionCreate,
)
from finmon.api.validation import canonical_rows
from finmon.core.errors import NotFoundError, ValidationError
from finmon.events.envelope import Envelope
from finmon.sources.events import transaction_envelope, transaction_event_id

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/transactions", tags=["transactions"])
Writer = Annotated[Principal, Depends(require("transactions:write"))]
Reader = Annotated[Principal, Depends(require("transactions:read"))]


def _rows(items: list[TransactionCreate]) -> list[dict[str, Any]]:
    return [item.model_dump(exclude_none=True) for item in items]


def _envelopes(
    items: list[TransactionCreate], correlation_id: str, prefix: str, ctx: Any
) -> list[Envelope]:
    """Validate the canonical meaning of every row; all problems at once, nothing stored."""
    return [
        transaction_envelope(row, clock=ctx.clock, correlation_id=correlation_id or None)
        for row in canonical_rows(_rows(items), prefix)
    ]


@router.post(
    "",
    status_code=202,
    response_model=TransactionAccepted,
    summary="Submit one transaction (stored as transaction.received; no decision yet)",
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
        envelope = _envelopes([body], cid, "", ctx)[0]
        appended = await ctx.batcher.append(envelope)
        return 202, TransactionAccepted(
            transaction_id=body.transaction_id,
            event_id=envelope.id,
            seq=appended.seq,
            duplicate=appended.duplicate,
        ).model_dump()

    return await idempotent_async(ctx, request, principal, key, body, work)


@router.post(
    "/batch",
    status_code=202,
    response_model=BatchAccepted,
    summary="Submit up to 10,000 transactions atomically (all valid, or none stored)",
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
        envelopes = _envelopes(body.transactions, cid, "transactions.", ctx)
        result = ctx.log.append_batch(envelopes)
        seqs = [seq for seq, _ in result.appended]
        return 202, BatchAccepted(
            received=len(envelopes),
            appended=len(seqs),
            duplicates=len(result.duplicates),
            first_seq=seqs[0] if seqs else None,
            last_seq=seqs[-1] if seqs else None,
        ).model_dump()

    # A batch validates and appends thousands of rows: off the event loop, in one hop.
    return await run_in_threadpool(idempotent, ctx, request, principal, key, body, work)


@router.get(
    "/{transaction_id}",
    response_model=EventPublic,
    summary="The stored transaction.received event (PII masked by role)",
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
    return event_out(record[0], orjson.loads(record[2]), principal)


__all__ = ["router"]
