"""docs/monitor.md lists every feature of the registry and every rule of the default set."""

from __future__ import annotations

from pathlib import Path

from finmon.monitor.features import describe

DOC = Path(__file__).parents[3] / "docs" / "monitor.md"


def test_every_feature_is_documented_with_its_meaning() -> None:
    text = DOC.read_text()
    missing = [
        f["name"]
        for f in describe()
        if f"| `{f['name']}` | {f['entity']} |" not in text or f["meaning"] not in text
    ]
    assert missing == [], f"regenerate the feature table in docs/monitor.md: {missing}"
