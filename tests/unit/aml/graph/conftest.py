"""A small simulated bank with cycle instances of 2-6 accounts, generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from finmon.sim import generate_dataset, parse_scenario


@pytest.fixture(scope="session")
def simulated_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("aml_graph_bank")
    scenario = parse_scenario(
        {
            "name": "aml-graph",
            "seed": 5,
            "start": "2026-01-05T00:00:00Z",
            "days": 10,
            "customers": 500,
            "merchants": 100,
            "typologies": {
                "cycle": {"instances": 4},
                "mule_network": {"instances": 1},
                "fan_in": {"instances": 1},
                "rapid_movement": {"instances": 1},
            },
        }
    )
    generate_dataset(scenario, out)
    return out
