"""A small scenario with every typology, generated once per session (Parquet)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from finmon.sim import TYPOLOGIES, Scenario, generate_dataset, parse_scenario


def small_scenario(seed: int = 11, **overrides: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "small",
        "seed": seed,
        "start": "2026-01-05T00:00:00Z",
        "days": 8,
        "customers": 600,
        "merchants": 120,
        "typologies": {name: {"instances": 1} for name in TYPOLOGIES},
    }
    data.update(overrides)
    return parse_scenario(data)


SmallScenario = Callable[..., Scenario]


@pytest.fixture(scope="session")
def small() -> SmallScenario:
    """Builds the small scenario, with overrides (``small(seed=2, days=3)``)."""
    return small_scenario


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate_dataset(small_scenario(), out)
    return out
