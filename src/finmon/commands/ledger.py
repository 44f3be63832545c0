"""`finmon ledger`: accounts, transfers, holds, reports, verification and benchmarks.

Writes print the receipt (or the reasons of a refusal, exit 1); every command
takes ``--json`` and then prints exactly one JSON document. The ledger lives in
``<data dir>/ledger.db`` unless ``--backend postgres`` (or
``FINMON_LEDGER_BACKEND=postgres``) puts it in ``--schema`` on ``postgres_url``.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from finmon.commands.output import console, emit_json, errors, key_value_table
from finmon.core.errors import ValidationError
from finmon.core.money import Money
from finmon.core.settings import load_settings
from finmon.ledger import (
    AccountType,
    Flags,
    Ledger,
    Outcome,
    PostHold,
    Posting,
    Rejection,
    Reverse,
    Side,
    Transfer,
    VoidHold,
    balance_sheet,
    open_ledger,
    prove_transfer,
    transfer_from_dict,
    trial_balance,
    verify_ledger,
)
from finmon.ledger.factory import DEFAULT_SCHEMA, Backend

app = typer.Typer(
    help="The double-entry ledger: accounts, transfers, holds, reports, verify.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
KeyOption = Annotated[str, typer.Option("--key", help="Idempotency key (retries reuse it).")]
_state: dict[str, Any] = {}


@app.callback()
def _select(
    backend: Annotated[
        str, typer.Option(envvar="FINMON_LEDGER_BACKEND", help="sqlite or postgres.")
    ] = "sqlite",
    schema: Annotated[str, typer.Option(help="PostgreSQL schema of the ledger.")] = DEFAULT_SCHEMA,
) -> None:
    """Choose where the ledger lives."""
    if backend not in ("sqlite", "postgres"):
        raise typer.BadParameter("must be sqlite or postgres", param_hint="--backend")
    _state["backend"], _state["schema"] = backend, schema


def _ledger() -> Ledger:
    backend: Backend = "postgres" if _state.get("backend") == "postgres" else "sqlite"
    return open_ledger(
        load_settings(), backend=backend, schema=_state.get("schema", "finmon_ledger")
    )


def _report(outcome: Outcome, as_json: bool) -> None:
    """Print a receipt or a refusal; a refusal exits 1."""
    if as_json:
        emit_json(outcome.to_dict())
    elif isinstance(outcome, Rejection):
        for problem in outcome.problems:
            errors.print(f"[red]rejected[/red] {outcome.key}: {problem}")
    else:
        console.print(key_value_table(outcome.kind, outcome.to_dict()))
    if isinstance(outcome, Rejection):
        raise typer.Exit(1)


def _submit(command: Any, as_json: bool) -> None:
    ledger = _ledger()
    try:
        _report(ledger.submit(command), as_json)
    finally:
        ledger.close()


@app.command("open-account")
def open_account(
    account: Annotated[str, typer.Argument(help="Account code, e.g. liabilities:deposits:42.")],
    account_type: Annotated[AccountType, typer.Option("--type", help="Which group.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")],
    parent: Annotated[str | None, typer.Option(help="Account it rolls up into.")] = None,
    normal_side: Annotated[Side | None, typer.Option(help="Override (contra accounts).")] = None,
    overdraft_limit: Annotated[
        str | None, typer.Option(help="e.g. '0' or '500.00'; omit for unchecked.")
    ] = None,
    no_overdraft: Annotated[
        bool, typer.Option("--debits-must-not-exceed-credits", help="Set that flag.")
    ] = False,
    name: Annotated[str, typer.Option(help="Label.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Open an account in the chart."""
    from finmon.ledger import Account, OpenAccount

    limit = None if overdraft_limit is None else Money.of(overdraft_limit, currency).minor
    flags = Flags.DEBITS_MUST_NOT_EXCEED_CREDITS if no_overdraft else Flags.NONE
    record = Account(
        account,
        account_type,
        currency.upper(),
        parent,
        normal_side,
        overdraft_limit=limit,
        flags=flags,
        name=name,
    )
    _submit(OpenAccount(f"open:{account}", record), as_json)


def _status(account: str, trigger: str, key: str | None, as_json: bool) -> None:
    from finmon.core.ids import new_id
    from finmon.ledger import ChangeStatus

    _submit(ChangeStatus(key or f"{trigger}:{account}:{new_id()}", account, trigger), as_json)


@app.command()
def freeze(
    account: str, key: Annotated[str | None, typer.Option()] = None, as_json: JsonOption = False
) -> None:
    """Freeze an account: no postings until it is unfrozen."""
    _status(account, "freeze", key, as_json)


@app.command()
def unfreeze(
    account: str, key: Annotated[str | None, typer.Option()] = None, as_json: JsonOption = False
) -> None:
    """Unfreeze a frozen account."""
    _status(account, "unfreeze", key, as_json)


@app.command()
def close(
    account: str, key: Annotated[str | None, typer.Option()] = None, as_json: JsonOption = False
) -> None:
    """Close an account for good (its balance must be zero)."""
    _status(account, "close", key, as_json)


def _read_file(path: Path) -> Any:
    text = path.read_bytes()
    if path.suffix == ".toml":
        return tomllib.loads(text.decode())
    return orjson.loads(text)


@app.command()
def post(
    file: Annotated[
        Path | None, typer.Argument(help="JSON/TOML transfer, or {transfers: [...]}.")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency key.")] = None,
    debit: Annotated[str | None, typer.Option(help="Account debited.")] = None,
    credit: Annotated[str | None, typer.Option(help="Account credited.")] = None,
    amount: Annotated[str | None, typer.Option(help="e.g. '12.34 USD'.")] = None,
    memo: Annotated[str, typer.Option()] = "",
    hold_seconds: Annotated[int | None, typer.Option(help="Make it a hold.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Post a transfer from a file (one, or a batch) or from flags."""
    if file is not None:
        data = _read_file(file)
        items = data["transfers"] if isinstance(data, dict) and "transfers" in data else [data]
    else:
        items = [
            {
                "key": key,
                "postings": [
                    {"account": debit, "amount": amount},
                    {"account": credit, "amount": _negate(amount)},
                ],
                "memo": memo,
                "hold_seconds": hold_seconds,
            }
        ]
    _post_items(items, as_json)


def _negate(amount: str | None) -> str | None:
    if amount is None:
        return None
    return str(-Money.parse(amount))


def _post_items(items: list[Any], as_json: bool) -> None:
    ledger = _ledger()
    try:
        outcomes: list[Outcome] = []
        for item in items:
            try:
                outcomes.append(ledger.submit(transfer_from_dict(item)))
            except ValidationError as exc:
                key = item.get("key", "") if isinstance(item, dict) else ""
                outcomes.append(ledger.reject_input(str(key or ""), "transfer", exc))
    finally:
        ledger.close()
    if len(outcomes) == 1:
        _report(outcomes[0], as_json)
        return
    if as_json:
        emit_json({"outcomes": [o.to_dict() for o in outcomes]})
    else:
        for outcome in outcomes:
            state = "accepted" if outcome.accepted else "[red]rejected[/red]"
            console.print(f"{state} {outcome.key}")
    if any(not o.accepted for o in outcomes):
        raise typer.Exit(1)


@app.command()
def hold(
    key: KeyOption,
    debit: Annotated[str, typer.Option()],
    credit: Annotated[str, typer.Option()],
    amount: Annotated[str, typer.Option(help="e.g. '12.34 USD'.")],
    seconds: Annotated[int, typer.Option(min=1, help="Expires after this long.")],
    as_json: JsonOption = False,
) -> None:
    """Reserve funds: a pending transfer to post, void or let expire."""
    money = Money.parse(amount)
    legs = (Posting.debit(debit, money), Posting.credit(credit, money))
    _submit(Transfer(key, legs, hold_seconds=seconds), as_json)


@app.command("post-hold")
def post_hold(
    hold_id: str,
    key: KeyOption,
    amount: Annotated[str | None, typer.Option(help="Part to post; default all.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Post a hold in full or in part."""
    _submit(PostHold(key, hold_id, None if amount is None else Money.parse(amount)), as_json)


@app.command()
def void(hold_id: str, key: KeyOption, as_json: JsonOption = False) -> None:
    """Void a hold: release everything it reserved."""
    _submit(VoidHold(key, hold_id), as_json)


@app.command()
def expire(as_json: JsonOption = False) -> None:
    """Release every hold past its deadline."""
    ledger = _ledger()
    try:
        result = ledger.expire_holds()
    finally:
        ledger.close()
    document = {"expired": [o.to_dict() for o in result.outcomes]}
    if as_json:
        emit_json(document)
    else:
        console.print(f"{len(result.accepted)} hold(s) expired")


@app.command()
def reverse(
    transfer_id: str,
    key: KeyOption,
    memo: Annotated[str, typer.Option()] = "",
    as_json: JsonOption = False,
) -> None:
    """Reverse a posted transfer with a new, linked transfer."""
    _submit(Reverse(key, transfer_id, memo), as_json)


@app.command()
def balance(
    account: str,
    as_of_seq: Annotated[int | None, typer.Option(help="As of this journal seq.")] = None,
    at: Annotated[datetime | None, typer.Option(help="As of this UTC time.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Posted, pending and available balance, now or in the past."""
    from datetime import UTC

    ledger = _ledger()
    try:
        when = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
        found = ledger.balance(account, as_of_seq=as_of_seq, at=when)
    finally:
        ledger.close()
    if as_json:
        emit_json(found.to_dict())
    else:
        console.print(key_value_table(account, found.to_dict()))


@app.command()
def statement(
    account: str,
    from_seq: Annotated[int, typer.Option(min=1)] = 1,
    to_seq: Annotated[int | None, typer.Option()] = None,
    as_json: JsonOption = False,
) -> None:
    """An account's entries with a running balance."""
    ledger = _ledger()
    try:
        document = ledger.statement(account, from_seq=from_seq, to_seq=to_seq).to_dict()
    finally:
        ledger.close()
    if as_json:
        emit_json(document)
        return
    table = Table("seq", "kind", "debit", "credit", "bucket", "balance", title=account)
    for line in document["lines"]:  # type: ignore[attr-defined]
        table.add_row(
            *(str(line[k]) for k in ("seq", "kind", "debit", "credit", "bucket", "balance"))
        )
    console.print(table)


@app.command("trial-balance")
def trial_balance_command(
    as_of_seq: Annotated[int | None, typer.Option()] = None, as_json: JsonOption = False
) -> None:
    """Every account's debit or credit balance; the columns agree per currency."""
    ledger = _ledger()
    try:
        report = trial_balance(ledger.all_balances(as_of_seq))
    finally:
        ledger.close()
    if as_json:
        emit_json(report.to_dict())
        return
    table = Table("account", "currency", "debit", "credit")
    for row in report.to_dict()["rows"]:  # type: ignore[attr-defined]
        table.add_row(row["account"], row["currency"], row["debit"], row["credit"])
    console.print(table)
    console.print("balanced" if report.balanced else "[red]NOT BALANCED[/red]")


@app.command("balance-sheet")
def balance_sheet_command(
    as_of_seq: Annotated[int | None, typer.Option()] = None, as_json: JsonOption = False
) -> None:
    """Assets, liabilities, equity, income and expenses, rolled up by the chart."""
    ledger = _ledger()
    try:
        sheet = balance_sheet(ledger.all_balances(as_of_seq))
    finally:
        ledger.close()
    document = sheet.to_dict()
    if as_json:
        emit_json(document)
        return
    for section, content in document["sections"].items():  # type: ignore[attr-defined]
        table = Table("account", "currency", "balance", "rolled up", title=section)
        for line in content["lines"]:
            label = "  " * line["depth"] + line["account"]
            table.add_row(label, line["currency"], line["balance"], line["rolled_up"])
        console.print(table)
    console.print("balanced" if sheet.balanced else "[red]NOT BALANCED[/red]")


@app.command()
def verify(
    deep: Annotated[bool, typer.Option("--deep", help="Also recompute Merkle roots.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the journal chain and recompute every balance from it.

    Exits 0 when the chain is intact and every balance equals the sum of its
    postings, 1 otherwise, naming the first problem.
    """
    ledger = _ledger()
    try:
        report = verify_ledger(ledger, deep=deep)
    finally:
        ledger.close()
    if as_json:
        emit_json(report.to_dict())
    elif report.ok:
        console.print(
            f"[green]intact[/green]: {report.records:,} journal records, "
            f"{report.accounts:,} accounts, {report.entries:,} entries"
        )
    else:
        errors.print(f"[red]DAMAGED[/red]: {report.first}")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def prove(transfer_id: str, as_json: JsonOption = False) -> None:
    """An inclusion proof of one transfer against a signed checkpoint."""
    ledger = _ledger()
    try:
        proof = prove_transfer(ledger, transfer_id)
    finally:
        ledger.close()
    if as_json:
        emit_json(proof.to_dict())
    else:
        console.print(
            key_value_table(
                f"transfer {transfer_id}",
                {
                    "journal seq": proof.proof.seq,
                    "checkpoint": f"{proof.checkpoint.seq_from}..{proof.checkpoint.seq_to}",
                    "root": proof.checkpoint.root.hex(),
                    "verified": proof.verified,
                },
            )
        )
    raise typer.Exit(0 if proof.verified else 1)


@app.command()
def reconcile(
    account: Annotated[str, typer.Argument(help="Our account the statement is about.")],
    statement_file: Annotated[Path, typer.Argument(help="CSV or camt.053 XML.")],
    amount_tolerance: Annotated[str, typer.Option(help="e.g. '0.01'.")] = "0",
    date_tolerance: Annotated[int, typer.Option(min=0, help="Days.")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Match the account against an external statement; exit 1 unless fully reconciled."""
    from finmon.ledger.recon import ledger_lines, read_camt053, read_csv
    from finmon.ledger.recon import reconcile as run_reconcile

    theirs = (
        read_camt053(statement_file)
        if statement_file.suffix == ".xml"
        else read_csv(statement_file)
    )
    ledger = _ledger()
    try:
        currency = ledger.account(account).currency
        ours = ledger_lines(ledger, account)
    finally:
        ledger.close()
    tolerance = Money.of(amount_tolerance, currency).minor
    report = run_reconcile(
        ours, theirs, amount_tolerance=tolerance, date_tolerance_days=date_tolerance
    )
    if as_json:
        emit_json(report.to_dict())
    else:
        console.print(key_value_table(f"reconciliation of {account}", report.to_dict()["counts"]))  # type: ignore[arg-type]
    raise typer.Exit(0 if report.reconciled else 1)


@app.command()
def bench(
    backend: Annotated[str, typer.Option(help="sqlite or postgres.")] = "sqlite",
    scale: Annotated[float, typer.Option(min=0.01, help="Multiply transfer counts.")] = 1.0,
    as_json: JsonOption = False,
) -> None:
    """Transfers/s and p50/p99 latency: 1 and 16 clients one per commit, batches of 1,000."""
    from finmon.ledger.bench import run_benchmarks

    if backend not in ("sqlite", "postgres"):
        raise typer.BadParameter("must be sqlite or postgres", param_hint="--backend")
    url = load_settings().postgres_url if backend == "postgres" else None
    if backend == "postgres" and not url:
        raise ValidationError("--backend postgres needs FINMON_POSTGRES_URL", field="postgres_url")
    results = run_benchmarks(backend, url=url, scale=scale)
    if as_json:
        emit_json(results)
        return
    table = Table("scenario", "transfers/s", "p50 ms", "p99 ms", title=f"ledger on {backend}")
    for name in ("single_1", "single_16", "group_commit_16", "batch_1000"):
        row = results[name]
        table.add_row(
            name,
            f"{row['transfers_per_second']:,.0f}",
            str(row.get("p50_ms", row.get("p50_batch_ms"))),
            str(row.get("p99_ms", row.get("p99_batch_ms"))),
        )
    console.print(table)


__all__ = ["app"]
