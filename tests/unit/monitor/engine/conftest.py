"""A small monitored bank for the engine tests: two simulated datasets and a trained model.

Training uses one seed of the demo scenario and the tests score another, as
production would (a model never sees the data it is judged on).
"""

from __future__ import annotations

import pytest
from monitored_bank import FAST_PARAMS, SCORE_SEED, TRAIN_SEED, MonitoredBank, make_dataset

from finmon.core.settings import Settings
from finmon.monitor import service
from finmon.monitor.dataset import load_dataset


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> MonitoredBank:
    root = tmp_path_factory.mktemp("monitored-bank")
    settings = Settings(data_dir=root / "data")
    train_dir = make_dataset(root, TRAIN_SEED)
    score_dir = make_dataset(root, SCORE_SEED)
    trained = service.train(
        settings,
        load_dataset(train_dir),
        service.data_source_id(train_dir),
        author="tests",
        params=dict(FAST_PARAMS),
    )
    return MonitoredBank(settings, train_dir, score_dir, load_dataset(score_dir), trained)
