"""Every command of `finmon` is documented in docs/cli.md (sqlite-utils' test_docs habit)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer

from finmon.cli import app

CLI_DOC = Path(__file__).parents[2] / "docs" / "cli.md"


def _command_paths(application: typer.Typer, prefix: str = "finmon") -> Iterator[str]:
    for command in application.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        yield f"{prefix} {name.replace('_', '-')}"
    for group in application.registered_groups:
        assert group.typer_instance is not None
        yield from _command_paths(group.typer_instance, f"{prefix} {group.name}")


def test_every_command_is_in_the_cli_doc() -> None:
    documented = CLI_DOC.read_text()
    missing = [path for path in _command_paths(app) if f"`{path}" not in documented]
    assert missing == [], f"document these in docs/cli.md: {missing}"


def test_the_doc_names_no_command_that_does_not_exist() -> None:
    paths = set(_command_paths(app))
    groups = {path.rsplit(" ", 1)[0] for path in paths}
    for line in CLI_DOC.read_text().splitlines():
        if line.startswith("| `finmon ") and "--version" not in line:
            words = line.split("`")[1].split()
            named = " ".join(w for w in words[:3] if not w.startswith(("-", "[")) and w.isascii())
            assert any(named.startswith(p) or p.startswith(named) for p in paths | groups), line
