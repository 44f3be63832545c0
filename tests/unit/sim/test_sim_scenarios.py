from __future__ import annotations

from pathlib import Path

import pytest

from finmon.core.errors import ValidationError
from finmon.sim import load_scenario, parse_scenario, shipped_scenarios

BASE = {"name": "x", "seed": 1, "start": "2026-01-05T00:00:00Z", "days": 3, "customers": 100}


def test_shipped_scenarios_load() -> None:
    names = shipped_scenarios()
    assert {"demo", "aml-ring", "load-1m", "holdout"} <= set(names)
    for name in names:
        assert load_scenario(name).name == name


def test_holdout_differs_from_training_scenarios() -> None:
    holdout = load_scenario("holdout")
    assert not holdout.training
    others = [load_scenario(n) for n in ("demo", "aml-ring", "load-1m")]
    assert all(holdout.seed != o.seed for o in others)
    assert holdout.typologies != load_scenario("demo").typologies


def test_aml_ring_has_1000_structuring_accounts() -> None:
    ring = load_scenario("aml-ring").typologies["structuring"]
    assert ring.size == (1000, 1000)


def _field_of(data: dict[str, object]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        parse_scenario(data)
    return {p.field for p in caught.value.problems}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"dayz": 3}, "dayz"),
        ({"days": 0}, "days"),
        ({"typologies": {"structuring": {"sizes": [1, 2]}}}, "typologies.structuring.sizes"),
        ({"typologies": {"structuring": {"size": [5, 2]}}}, "typologies.structuring"),
        ({"typologies": {"smurfing": {"instances": 1}}}, "typologies.smurfing"),
        ({"population": {"pep_share": 2}}, "population.pep_share"),
        ({"start": "2026-01-05T00:00:00"}, "start"),
    ],
)
def test_bad_scenario_names_the_field(extra: dict[str, object], field: str) -> None:
    assert field in _field_of({**BASE, **extra})


def test_unknown_scenario_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        load_scenario("no-such-scenario")
    assert caught.value.field == "scenario"
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ")
    with pytest.raises(ValidationError):
        load_scenario(str(bad))


def test_overrides() -> None:
    s = load_scenario("demo", seed=99, transactions=1234)
    assert (s.seed, s.transactions) == (99, 1234)
