"""Listed names for the standalone sanctioned-counterparty detector.

The full screening engine (``finmon.aml.screening``: list formats, aliases,
fuzzy matching) is separate; this reads just enough to work without it: OFAC
legacy CSV files (``sdn.csv``, ``cons_prim.csv`` and the ``alt``/``cons_alt``
alias files, no header, name in the second or fourth column), a CSV with a
``name`` column, or a text file with one name per line. Individuals listed as
"LAST, First" are also kept as "First LAST", the way a payer types them.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from finmon.core.errors import ValidationError

_OFAC_FILES = ("sdn.csv", "cons_prim.csv", "alt.csv", "cons_alt.csv")
_NULL = "-0-"
#: An alias of one or two tokens ("LEE, John") is a common name: matching it exactly flags
#: every John Lee. Full screening weighs it with date of birth and country; this list skips it.
_MIN_ALIAS_TOKENS = 3


def _variants(name: str) -> list[str]:
    name = name.strip()
    if not name or name == _NULL:
        return []
    if ", " in name:
        last, first = name.split(", ", 1)
        return [name, f"{first} {last}"]
    return [name]


def read_names(path: Path) -> list[str]:
    """Names in one list file (see the module docstring for the formats)."""
    if not path.is_file():
        raise ValidationError(
            f"no sanctions list file at {path}", field="sanctions", code="missing"
        )
    with path.open(encoding="latin-1", newline="") as handle:
        if path.suffix.lower() != ".csv":
            return [n for line in handle for n in _variants(line)]
        rows = list(csv.reader(handle))
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if "name" in header:
        column = header.index("name")
        return [n for row in rows[1:] if len(row) > column for n in _variants(row[column])]
    return _ofac_names(path, rows)


def _ofac_names(path: Path, rows: list[list[str]]) -> list[str]:
    """Names of an OFAC legacy CSV (no header; aliases in ``alt``/``cons_alt`` files)."""
    alias = path.name.lower() in ("alt.csv", "cons_alt.csv")
    column = 3 if alias else 1
    names: list[str] = []
    for number, row in enumerate(rows, start=1):
        if len(row) <= column:
            if row and row[0].strip("\x1a \n"):
                raise ValidationError(
                    f"{path}:{number}: expected a name in column {column + 1}",
                    field="sanctions",
                    code="format",
                )
            continue
        for name in _variants(row[column]):
            if not alias or len(name.replace(",", " ").split()) >= _MIN_ALIAS_TOKENS:
                names.append(name)
    return names


def read_lists(paths: Iterable[Path]) -> list[str]:
    """Names from files or directories (a directory: its OFAC files, recursively)."""
    names: list[str] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*.csv")):
                if file.name.lower() in _OFAC_FILES:
                    names += read_names(file)
        else:
            names += read_names(path)
    return names


def default_list_dir() -> Path | None:
    """``$FINMON_SANCTIONS_DIR``, else ``sanctions`` under ``$FINMON_SHARED_DATA`` or the
    ``shared/data`` folder beside the repository or the working directory, if present."""
    explicit = os.environ.get("FINMON_SANCTIONS_DIR")
    if explicit:
        return Path(explicit)
    shared = os.environ.get("FINMON_SHARED_DATA")
    candidates = [Path(shared)] if shared else []
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "data" for p in here.parents[:6]]
    candidates += [Path.cwd() / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return next((c / "sanctions" for c in candidates if (c / "sanctions").is_dir()), None)


__all__ = ["default_list_dir", "read_lists", "read_names"]
