"""One synthetic dataset and one small model per session: training is the slow part."""

from __future__ import annotations

from typing import Any

import pytest

from finmon.monitor.models import TrainedModel, train_gbm
from finmon.monitor.models.synthetic import SyntheticData, make_synthetic

#: Few, shallow trees: the tests check behaviour, not the best model.
SMALL: dict[str, Any] = {"num_boost_round": 40, "max_depth": 4, "early_stopping_rounds": 10}


@pytest.fixture(scope="session")
def small_params() -> dict[str, Any]:
    return dict(SMALL)


@pytest.fixture(scope="session")
def data() -> SyntheticData:
    return make_synthetic(12_000, 6, seed=7)


@pytest.fixture(scope="session")
def model(data: SyntheticData) -> TrainedModel:
    return train_gbm(
        data.x, data.y, data.times_us, data.feature_names, "fs-test-1", params=SMALL, seed=3
    )
