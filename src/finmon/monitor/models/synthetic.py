"""A labelled, time-stamped matrix with a known signal, for tests, benchmarks and demos.

A model check needs data whose answer is known: fraud odds here rise with the
``signal`` column (strongly) and ``weak`` (slightly) and nothing else, so a
working model must rank by them and name ``signal`` first. Rows come in random
time order, so a split that forgot to sort by time would show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from finmon.core.errors import ValidationError

SIGNAL = "signal"
WEAK = "weak"


@dataclass(frozen=True, slots=True)
class SyntheticData:
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.bool_]
    times_us: npt.NDArray[np.int64]
    feature_names: tuple[str, ...]


def make_synthetic(
    n: int = 6000,
    n_features: int = 6,
    *,
    seed: int = 0,
    intercept: float = -4.0,
    start_us: int = 1_700_000_000_000_000,
    span_us: int = 100_000_000_000,
) -> SyntheticData:
    """``n`` rows of standard-normal features; ``P(fraud) = sigmoid(b + 2.5 signal + 0.5 weak)``.

    The first column is ``signal``, the second ``weak``, the rest ``noise_<i>``.
    """
    if n < 1 or n_features < 2:
        raise ValidationError("need n >= 1 and n_features >= 2", field="n_features")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features)).astype(np.float32)
    logit = intercept + 2.5 * x[:, 0] + 0.5 * x[:, 1]
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    times = rng.integers(start_us, start_us + span_us, size=n, dtype=np.int64)
    names = (SIGNAL, WEAK, *(f"noise_{i}" for i in range(n_features - 2)))
    return SyntheticData(x, y, times, names)
