"""The `finmon` command: a thin layer over the library, one sub-app per domain.

Every command honours ``FINMON_DATA_DIR`` (through :func:`load_settings`), and
every command that reports numbers takes ``--json`` and then prints one JSON
document on stdout. A :class:`~finmon.core.errors.FinmonError` becomes a short
message naming the field and exit code 2 (3 when a backend is unreachable),
never a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer

from finmon import __version__
from finmon.commands import aml as aml_commands
from finmon.commands import events as events_commands
from finmon.commands import ingest as ingest_commands
from finmon.commands import kyc as kyc_commands
from finmon.commands import ledger as ledger_commands
from finmon.commands import monitor as monitor_commands
from finmon.commands import screening as screening_commands
from finmon.commands import sim as sim_commands
from finmon.commands import users as users_commands
from finmon.commands.info import info
from finmon.commands.output import errors
from finmon.commands.serve import serve
from finmon.core.errors import FinmonError, UnavailableError
from finmon.demo import demo

app = typer.Typer(
    name="finmon",
    help="Real-time financial monitoring and the simulated bank that feeds it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(events_commands.app, name="events")
app.add_typer(ingest_commands.app, name="ingest")
app.add_typer(sim_commands.app, name="sim")
app.add_typer(ledger_commands.app, name="ledger")
app.add_typer(monitor_commands.app, name="monitor")
app.add_typer(aml_commands.app, name="aml")
app.add_typer(kyc_commands.app, name="kyc")
app.add_typer(screening_commands.lists_app, name="lists")
app.command("screen")(screening_commands.screen_command)
app.add_typer(users_commands.app, name="users")
app.command()(serve)
app.command()(info)
app.command()(demo)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"finmon {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """finmon: fraud, AML, risk and compliance monitoring over an event log."""


def main() -> None:
    """Entry point: run the app, turning finmon errors into messages and exit codes."""
    try:
        app()
    except FinmonError as exc:
        where = f" ({exc.field})" if exc.field else ""
        errors.print(f"[red]error[/red] \\[{exc.code}]{where}: {exc.message}")
        raise SystemExit(3 if isinstance(exc, UnavailableError) else 2) from None


__all__ = ["app", "main"]
