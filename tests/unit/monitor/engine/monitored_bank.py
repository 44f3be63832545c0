"""The monitored bank the engine tests share (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from finmon.core.settings import Settings
from finmon.monitor import service
from finmon.monitor.dataset import Dataset
from finmon.sim import generate_dataset, load_scenario

TRAIN_SEED = 1007
SCORE_SEED = 7
ROWS = 4_000
FAST_PARAMS = {"num_boost_round": 40, "max_depth": 4}


@dataclass(frozen=True)
class MonitoredBank:
    settings: Settings
    train_dir: Path
    score_dir: Path
    scored: Dataset
    trained: service.Trained


def make_dataset(root: Path, seed: int, rows: int = ROWS) -> Path:
    out = root / f"demo-{seed}-{rows}"
    generate_dataset(load_scenario("demo", seed=seed, transactions=rows), out)
    return out
