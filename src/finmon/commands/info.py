"""`finmon info`: what this installation is configured to use, and what answers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table

from finmon import __version__
from finmon.commands.output import console, emit_json
from finmon.core.settings import Settings, load_settings, redact_url
from finmon.store.postgres import postgres_reachable


def _tcp_reachable(url: str, default_port: int) -> tuple[bool, str]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return True, f"{host}:{port} accepts connections"
    except OSError as exc:
        return False, f"{host}:{port}: {exc.strerror or exc}"


def backends(settings: Settings) -> list[dict[str, object]]:
    """Each backend: whether it is configured, in use, and reachable."""
    rows: list[dict[str, object]] = [
        {
            "backend": "event log",
            "kind": settings.log_store,
            "configured": True,
            "reachable": True if settings.log_store == "sqlite" else None,
            "detail": str(settings.log_path) if settings.log_store == "sqlite" else "",
        }
    ]
    checks: tuple[tuple[str, str | None, Callable[[str], tuple[bool, str]]], ...] = (
        ("postgresql", settings.postgres_url, postgres_reachable),
        ("redis", settings.redis_url, lambda u: _tcp_reachable(u, 6379)),
        ("nats", settings.nats_url, lambda u: _tcp_reachable(u, 4222)),
    )
    for name, url, probe in checks:
        if url is None:
            rows.append(
                {
                    "backend": name,
                    "kind": name,
                    "configured": False,
                    "reachable": None,
                    "detail": "not configured (embedded default in use)",
                }
            )
            continue
        ok, detail = probe(url)
        rows.append(
            {
                "backend": name,
                "kind": redact_url(url, user_is_secret=name == "nats"),
                "configured": True,
                "reachable": ok,
                "detail": detail,
            }
        )
    if settings.log_store == "postgres":
        rows[0]["reachable"] = rows[1]["reachable"]
    return rows


def info(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show settings, the data dir, and which backends are configured and reachable."""
    settings = load_settings()
    rows = backends(settings)
    document = {
        "version": __version__,
        "data_dir": str(settings.data_dir.resolve()),
        "settings": settings.redacted(),
        "backends": rows,
    }
    if as_json:
        emit_json(document)
        return
    console.print(f"[bold]finmon {__version__}[/bold]  data dir: {document['data_dir']}")
    table = Table("setting", "value", title="settings", title_justify="left")
    for key, value in settings.redacted().items():
        table.add_row(key, str(value))
    console.print(table)
    status = Table(
        "backend",
        "kind",
        "configured",
        "reachable",
        "detail",
        title="backends",
        title_justify="left",
    )
    for row in rows:
        status.add_row(
            *(str(row[k]) for k in ("backend", "kind", "configured", "reachable", "detail"))
        )
    console.print(status)
