"""/v1/ledger: the core-banking ledger over HTTP (accounts, transfers, holds, reports).

Money movement (transfers, holds, posting and voiding holds, reversals) needs
an ``Idempotency-Key``, and the key is the *ledger's own* idempotency key: the
same key and body return the first receipt (``replayed: true``, 200 and
``Idempotency-Replayed: true``), the same key with another body is a 409, and a
refused operation does not consume its key. So a retry through the API and a
retry through ``finmon ledger`` are the same thing. Batches carry a key per
transfer, each accepted or rejected on its own.

Every refusal is journaled by the ledger (``ledger.transfer.rejected``),
including amounts that cannot be read (wrong precision) through
:meth:`~finmon.ledger.Ledger.reject_input`. The handlers are sync (the
ledger's reads and commits are blocking): FastAPI runs them in its thread
pool, and writes from this process are serialized by a lock (the ledger
serializes across processes on its journal's writer lock anyway).
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import AwareDatetime
from starlette.responses import Response

from finmon.api.context import ApiContext
from finmon.api.deps import Ctx, IdempotencyKey, require
from finmon.api.ledger_schemas import (
    AccountChanged,
    AccountCreate,
    AccountDetail,
    AccountList,
    BalanceOut,
    BatchOut,
    HoldIn,
    HoldPostIn,
    MoneyIn,
    PostingIn,
    ReceiptOut,
    ReconciliationIn,
    ReverseIn,
    StatementOut,
    TransferBatchIn,
    TransferIn,
)
from finmon.api.rbac import Principal
from finmon.api.responses import COMMON_RESPONSES
from finmon.api.routers.common import json_response
from finmon.core.errors import Problem, ValidationError
from finmon.core.money import Money
from finmon.ledger import (
    Account,
    AccountType,
    ChangeStatus,
    Command,
    Flags,
    OpenAccount,
    Outcome,
    PostHold,
    Posting,
    Receipt,
    Rejection,
    Reverse,
    Side,
    Transfer,
    VoidHold,
    balance_sheet,
    ledger_lines,
    read_camt053,
    read_csv,
    reconcile,
    rejection_error,
    trial_balance,
    verify_ledger,
)

router = APIRouter(responses=COMMON_RESPONSES, prefix="/v1/ledger", tags=["ledger"])
Reader = Annotated[Principal, Depends(require("ledger:read"))]
Writer = Annotated[Principal, Depends(require("ledger:write"))]
Admin = Annotated[Principal, Depends(require("ledger:admin"))]
AccountId = Annotated[str, PathParam(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
ObjectId = Annotated[str, PathParam(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
AsOfSeq = Annotated[
    int | None, Query(ge=0, le=2**62, description="Balance as of this journal sequence number.")
]
_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"description": "the key was used before with this body: the first receipt"}
}
_MAX_STATEMENT_BYTES = 900_000


# -- helpers -------------------------------------------------------------------


def _money(value: MoneyIn, field: str) -> Money:
    """Exact money from a request; wrong precision or an unknown currency names ``field``."""
    try:
        return Money.of(value.amount, value.currency)
    except ValidationError as exc:
        raise ValidationError(f"{field}: {exc.message}", field=field, code=exc.code) from None


def _postings(items: list[PostingIn], prefix: str = "") -> tuple[Posting, ...]:
    """All postings, or a ValidationError naming every unreadable amount at once."""
    postings: list[Posting] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        field = f"{prefix}postings.{index}.amount"
        try:
            postings.append(
                Posting(item.account, Money.of(item.amount.amount, item.amount.currency))
            )
        except ValidationError as exc:
            problems.append(Problem(field, f"{item.account}: {exc.message}", exc.code))
    if problems:
        raise ValidationError.from_problems("invalid postings", problems)
    return tuple(postings)


def _need_key(key: str | None) -> str:
    if not key:
        raise ValidationError(
            "money movement needs an Idempotency-Key header (retries reuse it)",
            field="Idempotency-Key",
            code="missing",
        )
    return key


def _readable(ctx: ApiContext, key: str, kind: str, build: Any) -> Any:
    """Run ``build``; a request it cannot read is journaled as a rejected attempt, then raised."""
    try:
        return build()
    except ValidationError as exc:
        with ctx.ledger_write_lock:
            ctx.ledger.reject_input(key, kind, exc)
        raise


def _execute(ctx: ApiContext, command: Command) -> Receipt:
    with ctx.ledger_write_lock:
        outcome = ctx.ledger.submit(command)
    if isinstance(outcome, Rejection):
        raise rejection_error(outcome)
    return outcome


def _receipt(receipt: Receipt, extra: dict[str, Any] | None = None) -> Response:
    """201 for a new effect; 200 and ``Idempotency-Replayed: true`` for a replayed key."""
    body: dict[str, Any] = receipt.to_dict()
    if extra is not None:
        body = {"receipt": body, **extra}
    if receipt.replayed:
        return json_response(200, body, {"Idempotency-Replayed": "true"})
    return json_response(201, body)


def account_out(account: Account) -> dict[str, Any]:
    limit = account.overdraft_limit
    return {
        "id": account.id,
        "type": account.type.value,
        "currency": account.currency,
        "parent": account.parent,
        "normal_side": account.side.value,
        "status": account.status.value,
        "overdraft_limit": None
        if limit is None
        else Money(limit, account.currency).to_decimal_string(),
        "flags": [f.name.lower() for f in Flags if f and f in account.flags and f.name],
        "name": account.name,
    }


# -- accounts ------------------------------------------------------------------


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountChanged,
    responses=_REPLAYED,
    summary="Open an account in the chart (admin)",
)
def open_account(
    ctx: Ctx, principal: Admin, body: AccountCreate, key: IdempotencyKey = None
) -> Any:
    limit = None
    if body.overdraft_limit is not None:
        money = _money(body.overdraft_limit, "overdraft_limit")
        if money.currency.code != body.currency or money.minor < 0:
            raise ValidationError(
                "overdraft_limit must be a non-negative amount in the account's currency",
                field="overdraft_limit",
            )
        limit = money.minor
    flags = Flags.NONE
    if body.debits_must_not_exceed_credits:
        flags |= Flags.DEBITS_MUST_NOT_EXCEED_CREDITS
    if body.credits_must_not_exceed_debits:
        flags |= Flags.CREDITS_MUST_NOT_EXCEED_DEBITS
    account = Account(
        body.id,
        AccountType(body.type),
        body.currency,
        body.parent,
        Side(body.normal_side) if body.normal_side else None,
        overdraft_limit=limit,
        flags=flags,
        name=body.name,
    )
    receipt = _execute(ctx, OpenAccount(key or f"open:{body.id}", account))
    return _receipt(receipt, {"account": account_out(ctx.ledger.account(body.id))})


def _status(ctx: ApiContext, account_id: str, trigger: str, key: str | None) -> Response:
    ctx.ledger.account(account_id)  # 404 before anything is journaled
    # Without a key each call is a new request: freezing twice is refused, not replayed.
    command = ChangeStatus(
        key or f"{trigger}:{account_id}:{secrets.token_hex(8)}", account_id, trigger
    )
    receipt = _execute(ctx, command)
    return _receipt(receipt, {"account": account_out(ctx.ledger.account(account_id))})


@router.post(
    "/accounts/{account_id}/freeze",
    status_code=201,
    response_model=AccountChanged,
    responses=_REPLAYED,
    summary="Freeze an account: it takes no postings until unfrozen (admin)",
)
def freeze(ctx: Ctx, principal: Admin, account_id: AccountId, key: IdempotencyKey = None) -> Any:
    return _status(ctx, account_id, "freeze", key)


@router.post(
    "/accounts/{account_id}/unfreeze",
    status_code=201,
    response_model=AccountChanged,
    responses=_REPLAYED,
    summary="Unfreeze a frozen account (admin)",
)
def unfreeze(ctx: Ctx, principal: Admin, account_id: AccountId, key: IdempotencyKey = None) -> Any:
    return _status(ctx, account_id, "unfreeze", key)


@router.post(
    "/accounts/{account_id}/close",
    status_code=201,
    response_model=AccountChanged,
    responses=_REPLAYED,
    summary="Close an account with a zero balance; closed is final (admin)",
)
def close(ctx: Ctx, principal: Admin, account_id: AccountId, key: IdempotencyKey = None) -> Any:
    return _status(ctx, account_id, "close", key)


@router.get("/accounts", response_model=AccountList, summary="The chart of accounts")
def list_accounts(ctx: Ctx, principal: Reader) -> Any:
    return {"items": [account_out(a) for a in ctx.ledger.accounts()]}


@router.get(
    "/accounts/{account_id}",
    response_model=AccountDetail,
    summary="One account with its current balance",
)
def get_account(ctx: Ctx, principal: Reader, account_id: AccountId) -> Any:
    account = ctx.ledger.account(account_id)
    return {**account_out(account), "balance": ctx.ledger.balance(account_id).to_dict()}


@router.get(
    "/accounts/{account_id}/balance",
    response_model=BalanceOut,
    summary="Posted, pending and available balance, now or as of a sequence number or time",
)
def get_balance(
    ctx: Ctx,
    principal: Reader,
    account_id: AccountId,
    as_of_seq: AsOfSeq = None,
    at: Annotated[AwareDatetime | None, Query(description="As of this time (UTC).")] = None,
) -> Any:
    if as_of_seq is not None and at is not None:
        raise ValidationError("give as_of_seq or at, not both", field="at")
    return ctx.ledger.balance(account_id, as_of_seq=as_of_seq, at=at).to_dict()


@router.get(
    "/accounts/{account_id}/statement",
    response_model=StatementOut,
    summary="Entries between two sequence numbers with opening, running and closing balance",
)
def get_statement(
    ctx: Ctx,
    principal: Reader,
    account_id: AccountId,
    from_seq: Annotated[int, Query(ge=1, le=2**62)] = 1,
    to_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Any:
    if to_seq is not None and to_seq < from_seq:
        raise ValidationError("to_seq is before from_seq", field="to_seq")
    return ctx.ledger.statement(account_id, from_seq=from_seq, to_seq=to_seq).to_dict()


# -- money movement ------------------------------------------------------------


@router.post(
    "/transfers",
    status_code=201,
    response_model=ReceiptOut,
    responses=_REPLAYED,
    summary="Post balanced postings (Idempotency-Key required)",
)
def post_transfer(ctx: Ctx, principal: Writer, body: TransferIn, key: IdempotencyKey = None) -> Any:
    key = _need_key(key)
    postings = _readable(ctx, key, "transfer", lambda: _postings(body.postings))
    return _receipt(_execute(ctx, Transfer(key, postings, body.memo, body.reference)))


def _batch_items(ctx: ApiContext, body: Any) -> list[Transfer | Rejection]:
    """Each item as a command, or, for the unreadable ones, a journaled rejection
    (all rejections in one append: a batch of bad items costs one commit)."""
    items: list[Transfer | Rejection | None] = []
    unreadable: list[tuple[int, tuple[str, str, ValidationError]]] = []
    for index, item in enumerate(body.transfers):
        try:
            postings = _postings(item.postings, f"transfers.{index}.")
        except ValidationError as exc:
            unreadable.append((index, (item.key, "transfer", exc)))
            items.append(None)
            continue
        items.append(Transfer(item.key, postings, item.memo, item.reference))
    if unreadable:
        with ctx.ledger_write_lock:
            rejections = ctx.ledger.reject_inputs([request for _, request in unreadable])
        for (index, _), rejection in zip(unreadable, rejections, strict=True):
            items[index] = rejection
    return [item for item in items if item is not None]


@router.post(
    "/transfers/batch",
    response_model=BatchOut,
    response_model_exclude_none=True,
    summary="Post many transfers, each accepted or rejected on its own (a key per transfer)",
)
def post_batch(ctx: Ctx, principal: Writer, body: TransferBatchIn) -> Any:
    if len(body.transfers) > ctx.api.max_batch:
        raise ValidationError(f"at most {ctx.api.max_batch} transfers", field="transfers")
    items = _batch_items(ctx, body)
    commands = [item for item in items if isinstance(item, Transfer)]
    with ctx.ledger_write_lock:
        submitted = iter(ctx.ledger.submit_batch(commands).outcomes)
    outcomes: list[Outcome] = [
        next(submitted) if isinstance(item, Transfer) else item for item in items
    ]
    accepted = sum(1 for o in outcomes if isinstance(o, Receipt))
    return {
        "accepted": accepted,
        "rejected": len(outcomes) - accepted,
        "outcomes": [o.to_dict() for o in outcomes],
    }


@router.post(
    "/holds",
    status_code=201,
    response_model=ReceiptOut,
    responses=_REPLAYED,
    summary="Reserve funds (two-phase); the receipt's transfer_id names the hold",
)
def post_hold_create(ctx: Ctx, principal: Writer, body: HoldIn, key: IdempotencyKey = None) -> Any:
    key = _need_key(key)
    postings = _readable(ctx, key, "hold", lambda: _postings(body.postings))
    command = Transfer(key, postings, body.memo, body.reference, hold_seconds=body.hold_seconds)
    return _receipt(_execute(ctx, command))


@router.post(
    "/holds/{hold_id}/post",
    status_code=201,
    response_model=ReceiptOut,
    responses=_REPLAYED,
    summary="Post a hold in full, or a part of it (the rest is released)",
)
def post_hold(
    ctx: Ctx,
    principal: Writer,
    hold_id: ObjectId,
    body: HoldPostIn | None = None,
    key: IdempotencyKey = None,
) -> Any:
    key = _need_key(key)
    raw = body.amount if body is not None else None
    amount = (
        None if raw is None else _readable(ctx, key, "post_hold", lambda: _money(raw, "amount"))
    )
    return _receipt(_execute(ctx, PostHold(key, hold_id, amount)))


@router.post(
    "/holds/{hold_id}/void",
    status_code=201,
    response_model=ReceiptOut,
    responses=_REPLAYED,
    summary="Release a hold; nothing is posted",
)
def void_hold(ctx: Ctx, principal: Writer, hold_id: ObjectId, key: IdempotencyKey = None) -> Any:
    return _receipt(_execute(ctx, VoidHold(_need_key(key), hold_id)))


@router.post(
    "/transfers/{transfer_id}/reverse",
    status_code=201,
    response_model=ReceiptOut,
    responses=_REPLAYED,
    summary="Reverse a posted transfer by a new, linked transfer",
)
def reverse(
    ctx: Ctx,
    principal: Writer,
    transfer_id: ObjectId,
    body: ReverseIn | None = None,
    key: IdempotencyKey = None,
) -> Any:
    memo = body.memo if body is not None else ""
    return _receipt(_execute(ctx, Reverse(_need_key(key), transfer_id, memo)))


# -- reports, reconciliation, verification -------------------------------------


@router.get(
    "/reports/trial-balance",
    response_model=dict[str, Any],
    summary="Each account's net in the debit or credit column; totals per currency",
)
def get_trial_balance(ctx: Ctx, principal: Reader, as_of_seq: AsOfSeq = None) -> Any:
    return trial_balance(ctx.ledger.all_balances(as_of_seq)).to_dict()


@router.get(
    "/reports/balance-sheet",
    response_model=dict[str, Any],
    summary="Accounts rolled up into their parents; assets = liabilities + equity + result",
)
def get_balance_sheet(ctx: Ctx, principal: Reader, as_of_seq: AsOfSeq = None) -> Any:
    return balance_sheet(ctx.ledger.all_balances(as_of_seq)).to_dict()


@router.post(
    "/reconciliations",
    response_model=dict[str, Any],
    summary="Match an account against a CSV or camt.053 statement; returns the report",
)
def post_reconciliation(ctx: Ctx, principal: Reader, body: ReconciliationIn) -> Any:
    account = ctx.ledger.account(body.account)
    tolerance = 0
    if body.amount_tolerance is not None:
        money = _money(body.amount_tolerance, "amount_tolerance")
        if money.currency.code != account.currency or money.minor < 0:
            raise ValidationError(
                "amount_tolerance must be non-negative and in the account's currency",
                field="amount_tolerance",
            )
        tolerance = money.minor
    data = body.statement.encode()
    if len(data) > _MAX_STATEMENT_BYTES:
        raise ValidationError("the statement is too large", field="statement")
    with tempfile.TemporaryDirectory(prefix="finmon-recon-") as tmp:
        path = Path(tmp) / ("statement.csv" if body.format == "csv" else "statement.xml")
        path.write_bytes(data)
        try:
            theirs = read_csv(path) if body.format == "csv" else read_camt053(path)
        except ValidationError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parse failure is the client's input
            raise ValidationError(
                f"unreadable {body.format} statement: {type(exc).__name__}", field="statement"
            ) from None
    report = reconcile(
        ledger_lines(ctx.ledger, account.id),
        theirs,
        amount_tolerance=tolerance,
        date_tolerance_days=body.date_tolerance_days,
    )
    result: dict[str, Any] = orjson.loads(report.to_json())
    return result


@router.get(
    "/verify",
    response_model=dict[str, Any],
    summary="Check the journal chain and that every balance equals the sum of its postings",
)
def get_verify(ctx: Ctx, principal: Reader) -> Any:
    return verify_ledger(ctx.ledger).to_dict()


__all__ = ["account_out", "router"]
