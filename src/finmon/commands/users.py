"""`finmon users`: create and list API users (bootstrapping the first admin, tests)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from finmon.commands.output import console, emit_json
from finmon.core.errors import ValidationError

if TYPE_CHECKING:
    from finmon.api.context import ApiContext

app = typer.Typer(help="API users: create (TOTP secret shown once), list.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _context() -> ApiContext:
    """The API context, imported lazily so `finmon --help` does not load FastAPI."""
    from finmon.api.context import build_context
    from finmon.core.settings import load_settings

    return build_context(load_settings())


@app.command()
def create(
    username: Annotated[str, typer.Argument(help="Login name: 3-64 of a-z 0-9 _ . -")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="admin, analyst, senior_analyst, compliance_officer, risk_officer or auditor.",
        ),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (required).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user; prints its TOTP secret once (enrol it in an authenticator app)."""
    from finmon.api.rbac import Role
    from finmon.api.routers.users import totp_uri

    if not password_stdin:
        raise ValidationError("give the password on stdin with --password-stdin", field="password")
    try:
        parsed_role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValidationError(f"unknown role {role!r}; one of {choices}", field="role") from None
    password = sys.stdin.readline().rstrip("\r\n")
    ctx = _context()
    try:
        user, secret = ctx.auth.users.create(username, parsed_role, password)
        ctx.audit.record(
            "user_created",
            actor="cli",
            actor_name="finmon users create",
            outcome="success",
            target=user.id,
            details={"role": user.role.value},
        )
    finally:
        ctx.close()
    document = {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "totp_secret": secret,
        "totp_uri": totp_uri(user.username, secret),
    }
    if as_json:
        emit_json(document)
        return
    console.print(f"created {user.username} ({user.role.value}), id {user.id}")
    console.print(f"TOTP secret (shown once): {secret}")
    console.print(f"TOTP URI: {document['totp_uri']}")


@app.command("list")
def list_users(as_json: JsonOption = False) -> None:
    """List users (no secrets)."""
    ctx = _context()
    try:
        users = [
            {
                "id": u.id,
                "username": u.username,
                "role": u.role.value,
                "disabled": u.disabled,
                "locked": ctx.auth.users.is_locked(u),
            }
            for u in ctx.auth.users.all()
        ]
    finally:
        ctx.close()
    if as_json:
        emit_json({"users": users})
        return
    table = Table("id", "username", "role", "disabled", "locked")
    for u in users:
        table.add_row(*(str(u[k]) for k in ("id", "username", "role", "disabled", "locked")))
    console.print(table)


__all__ = ["app"]


if __name__ == "__main__":  # until `finmon users` is mounted: python -m finmon.commands.users
    app()
