"""The column tables of docs/transactions.md, rendered from :mod:`finmon.sources.canonical`.

The doc embeds these tables between ``<!-- columns:NAME -->`` and
``<!-- /columns:NAME -->`` markers; a test re-renders them and fails when the doc
and the code disagree, so the documented format can never drift from the one
validated. Regenerate with ``python -m finmon.sources.doctable docs/transactions.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from finmon.sources.canonical import TABLES

DOCUMENTED = ("transactions", "customers", "accounts", "merchants", "devices")


def render_columns(table: str) -> str:
    """A markdown table: column, kind, required, meaning."""
    lines = ["| column | kind | required | meaning |", "|---|---|---|---|"]
    for column in TABLES[table]:
        required = "**yes**" if column.required else "no"
        lines.append(f"| `{column.name}` | {column.kind} | {required} | {column.description} |")
    return "\n".join(lines)


def _block(table: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- columns:{table} -->\n).*?(\n<!-- /columns:{table} -->)", re.S)


def refresh(text: str) -> str:
    """``text`` with every marked table replaced by its current rendering."""
    for table in DOCUMENTED:
        text = _block(table).sub(_replacement(render_columns(table)), text)
    return text


def _replacement(rendered: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + rendered + match.group(2)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.write_text(refresh(target.read_text()))
