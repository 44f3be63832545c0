"""Names for the sanctioned-counterparty typology, read from the shared sanctions lists.

A screening engine must be tested on real listed names (with their punctuation,
transliterations and aliases), so the simulator takes them from the OFAC SDN
and consolidated lists in ``../shared/data/sanctions`` (or ``$FINMON_SHARED_DATA``).
When the lists are not there, it falls back to a small generated list and says
so in ``source``: the typology still runs, but its names are not real ones.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_LISTS = ("ofac_sdn_2021-07/sdn.csv", "ofac_non_sdn_consolidated/cons_prim.csv")
_FALLBACK = (
    "GENERATED LISTED TRADING LLC", "Generated Sanctioned Person A", "FICTIVE EXPORT HOLDINGS",
    "Example Blocked Shipping Co", "Sample Designated Bank", "Placeholder Listed Individual",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SanctionedNames:
    """Listed names (individuals as "First LAST", entities as listed) and where they came from."""

    names: tuple[str, ...]
    countries: tuple[str, ...]
    source: str


def shared_data_dir() -> Path | None:
    """``$FINMON_SHARED_DATA``, else ``../shared/data`` beside the repository, if it exists."""
    env = os.environ.get("FINMON_SHARED_DATA")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[3]
    candidates += [repo.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return next((c for c in candidates if (c / "sanctions").is_dir()), None)


def _display(name: str, kind: str) -> str:
    """SDN lists individuals as "LAST, First"; a payment message says "First LAST"."""
    if kind == "individual" and ", " in name:
        last, first = name.split(", ", 1)
        return f"{first} {last}"
    return name


_PROGRAM_COUNTRY = {"CUBA": "CU", "IRAN": "IR", "DPRK": "KP", "SYRIA": "SY", "VENEZUELA": "VE"}


def _read_list(path: Path) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 4 or not row[1].strip() or row[1].strip() == "-0-":
                continue
            kind = row[2].strip().strip("-0").strip()
            program = row[3].strip().split("]")[0].strip("[ ")
            rows.append((_display(row[1].strip(), kind), _PROGRAM_COUNTRY.get(program, "")))
    return rows


def load_sanctioned_names(rng: np.random.Generator, count: int = 300) -> SanctionedNames:
    """``count`` names drawn (deterministically by ``rng``) from the shared lists, or a fallback."""
    base = shared_data_dir()
    rows: list[tuple[str, str]] = []
    used = []
    for rel in _LISTS:
        path = base / "sanctions" / rel if base else None
        if path is not None and path.is_file():
            rows += _read_list(path)
            used.append(rel)
    if not rows:
        names = tuple(_FALLBACK)
        return SanctionedNames(names, ("",) * len(names), "generated fallback (no shared data)")
    pick = rng.choice(len(rows), size=min(count, len(rows)), replace=False)
    chosen = [rows[int(i)] for i in sorted(pick)]
    source = "shared/data/sanctions/" + " + ".join(used)
    return SanctionedNames(tuple(n for n, _ in chosen), tuple(c for _, c in chosen), source)


__all__ = ["SanctionedNames", "load_sanctioned_names", "shared_data_dir"]
