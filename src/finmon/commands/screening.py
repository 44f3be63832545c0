"""`finmon screen` and `finmon lists`: screen names against sanctions lists, manage the lists.

``screen_command`` is a plain function so the lead can register it as the
top-level ``finmon screen``; ``lists_app`` is the ``finmon lists`` group.
Lists live under ``<data dir>/screening`` (see finmon.aml.screening.store).
When no list is loaded, the bundled sample OFAC SDN list is used only if
``FINMON_SANCTIONS_DIR`` points at it (a deliberate opt-in: screening against
a 2021 snapshot by accident would be worse than an error).
"""

from __future__ import annotations

import csv
import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from finmon.aml.screening import ListStore, Match, Screener, load_list
from finmon.aml.screening.loaders import FORMATS
from finmon.commands.output import console, emit_json, key_value_table
from finmon.core.errors import NotFoundError, Problem, ValidationError
from finmon.core.settings import load_settings

SANCTIONS_DIR_ENV = "FINMON_SANCTIONS_DIR"
SAMPLE_SDN = "ofac_sdn_2021-07"

lists_app = typer.Typer(help="Sanctions lists: load a list file, show what is active.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _store() -> ListStore:
    return ListStore(load_settings().data_dir / "screening")


def _sample_dir() -> Path | None:
    configured = os.environ.get(SANCTIONS_DIR_ENV)
    if not configured:
        return None
    base = Path(configured)
    for candidate in (base, base / SAMPLE_SDN):
        if (candidate / "sdn.csv").exists():
            return candidate
    raise ValidationError(
        f"{SANCTIONS_DIR_ENV}={configured} holds no OFAC SDN sdn.csv (nor {SAMPLE_SDN}/sdn.csv)",
        field=SANCTIONS_DIR_ENV,
        code="not_found",
    )


def build_screener() -> tuple[Screener, str]:
    """The screener over the loaded lists, else the sample SDN list if opted in; and its source."""
    store = _store()
    active = store.active()
    if active:
        return store.screener(), ", ".join(f"{v.list} v{v.version}" for v in active)
    sample = _sample_dir()
    if sample is None:
        raise NotFoundError(
            "no sanctions list is loaded; run `finmon lists load PATH` first "
            f"(or set {SANCTIONS_DIR_ENV} to the sample lists directory)",
            field="lists",
            code="no_lists",
        )
    return Screener(load_list(sample), store.thresholds()), f"sample {sample}"


def _screen_file(screener: Screener, source: Path, out: Path) -> dict[str, Any]:
    """Screen every row of a CSV with a ``name`` column; validate all rows before writing."""
    if not source.exists():
        raise ValidationError(f"{source}: no such file", field="file", code="not_found")
    with source.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if "name" not in columns:
        raise ValidationError(f"{source}: no 'name' column", field="file", code="missing_column")
    results: list[Match | None] = []
    problems: list[Problem] = []
    for number, row in enumerate(rows, 2):
        try:
            found = screener.screen(
                row.get("name") or "",
                dob=row.get("dob") or None,
                country=row.get("country") or None,
                limit=1,
            )
        except ValidationError as exc:
            problems.extend(
                Problem(f"line {number}.{p.field}", p.reason, p.code) for p in exc.problems
            )
            continue
        results.append(found[0] if found else None)
    if problems:
        raise ValidationError.from_problems(f"{source}: {len(problems)} bad row(s)", problems)
    added = ["match", "score", "entry_id", "matched_name"]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*columns, *added], extrasaction="ignore")
        writer.writeheader()
        for row, best in zip(rows, results, strict=True):
            writer.writerow(
                {
                    **row,
                    "match": "true" if best is not None and best.is_match else "false",
                    "score": f"{best.score:.1f}" if best is not None else "0.0",
                    "entry_id": best.entry_id if best is not None else "",
                    "matched_name": best.matched_name if best is not None else "",
                }
            )
    matched = sum(1 for best in results if best is not None and best.is_match)
    return {"rows": len(rows), "matches": matched, "out": str(out)}


def _print_matches(name: str, matches: list[Match], source: str) -> None:
    hits = [m for m in matches if m.is_match]
    verdict = f"[red]{len(hits)} match(es)[/red]" if hits else "[green]no match[/green]"
    console.print(f"{name!r} against {source}: {verdict}")
    table = Table(show_lines=False, title_justify="left")
    for column in ("score", "match", "entry", "type", "matched name", "why"):
        table.add_column(column)
    for match in matches:
        table.add_row(
            f"{match.score:.1f}",
            "yes" if match.is_match else "no",
            match.entry_id,
            match.entity_type.value,
            match.matched_name,
            match.explain(),
        )
    console.print(table)


def screen_command(
    name: Annotated[str | None, typer.Argument(help="The name to screen (any script).")] = None,
    dob: Annotated[
        str | None, typer.Option("--dob", help="Date of birth, YYYY-MM-DD (or YYYY).")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Nationality/country, ISO alpha-2.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="CSV with a 'name' column (optional dob, country)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where --file results go.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=50, help="Candidates shown.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Screen one name, or a CSV file of names, against the loaded sanctions lists."""
    if file is not None:
        if name is not None:
            raise ValidationError("give either NAME or --file, not both", field="name")
        if out is None:
            raise ValidationError("--file needs --out", field="out", code="missing")
        screener, source = build_screener()
        summary = _screen_file(screener, file, out)
        summary["lists"] = source
        if as_json:
            emit_json(summary)
        else:
            console.print(key_value_table("Screened", summary))
        return
    if name is None:
        raise ValidationError("give a NAME to screen, or --file", field="name", code="missing")
    screener, source = build_screener()
    matches = screener.screen(name, dob=dob, country=country, limit=limit)
    if as_json:
        emit_json(
            {
                "name": name,
                "lists": source,
                "match": any(m.is_match for m in matches),
                "candidates": [m.to_dict() for m in matches],
            }
        )
        return
    _print_matches(name, matches, source)


@lists_app.command("load")
def load_command(
    path: Annotated[Path, typer.Argument(help="A list file, or an OFAC CSV directory.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {'|'.join(FORMATS)}; detected when omitted."),
    ] = None,
    list_name: Annotated[
        str | None, typer.Option("--list", help="Store under this name (a user list).")
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="Who loads it (default: the OS user).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load a list file and make it active; a malformed file is rejected, the old list stays."""
    if fmt is not None and fmt not in FORMATS:
        raise ValidationError(
            f"--format must be one of {', '.join(FORMATS)}", field="format", code="invalid"
        )
    result = _store().load(path, fmt, list_name=list_name, loaded_by=author or getpass.getuser())
    document: dict[str, Any] = {**result.version.to_dict(), "created": result.created}
    if result.diff is not None:
        document["changes"] = {
            "added": len(result.diff.added),
            "changed": len(result.diff.changed),
            "removed": len(result.diff.removed),
        }
    if as_json:
        emit_json(document)
        return
    console.print(key_value_table("List loaded" if result.created else "Unchanged", document))


@lists_app.command("show")
def show_command(as_json: JsonOption = False) -> None:
    """Show the active version of every loaded list."""
    active = _store().active()
    if as_json:
        emit_json({"lists": [v.to_dict() for v in active]})
        return
    if not active:
        console.print("No list loaded; run `finmon lists load PATH`.")
        return
    table = Table(title="Active lists", title_justify="left")
    for column in ("list", "version", "entries", "format", "loaded at", "by", "hash"):
        table.add_column(column)
    for v in active:
        table.add_row(
            v.list,
            str(v.version),
            str(v.entries),
            v.format,
            v.loaded_at,
            v.loaded_by,
            v.content_hash[:12],
        )
    console.print(table)


__all__ = ["build_screener", "lists_app", "screen_command"]
