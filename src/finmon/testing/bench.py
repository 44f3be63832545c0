"""What every benchmark in bench/ writes: one JSON document with the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def machine() -> dict[str, Any]:
    """The facts a figure is meaningless without."""
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def write_results(name: str, title: str, body: dict[str, Any]) -> dict[str, Any]:
    """Write ``bench/results/<name>.json`` (and print it); return the document."""
    document = {
        "benchmark": title,
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **body,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))  # noqa: T201 - a benchmark reports on stdout
    return document


__all__ = ["RESULTS", "machine", "write_results"]
