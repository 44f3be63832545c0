"""The time-based split: train on the past, calibrate on the near future, test on the latest.

Fraud patterns move, and accounts repeat: a shuffled split lets the model see
the same burst in training and in test and reports a recall it will never
have. Sorting by event time and cutting in order measures what happens in
production, where a model only ever scores transactions after the ones it
learnt from. A cut never falls between two rows with the same timestamp, so
no test row is *earlier* than any training row, and ties stay on one side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from finmon.core.errors import ValidationError

IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class TimeSplit:
    """Row indices (into the caller's arrays) of the three slices, each in time order."""

    train: IndexArray
    calibration: IndexArray
    test: IndexArray


def time_split(
    times_us: npt.NDArray[np.int64], train: float = 0.70, calibration: float = 0.15
) -> TimeSplit:
    """Split rows by event time into train / calibration / test (the rest).

    Raises:
        ValidationError: fractions that do not leave three slices, or too few
            distinct timestamps to make three non-empty slices.
    """
    if not (0 < train < 1 and 0 < calibration < 1 and train + calibration < 1):
        raise ValidationError(
            "train and calibration fractions must be in (0, 1) and leave a test slice",
            field="split",
            code="invalid",
        )
    order = np.argsort(times_us, kind="stable")
    ordered = times_us[order]
    n = len(order)
    cut1 = _cut(ordered, int(n * train))
    cut2 = _cut(ordered, int(n * (train + calibration)))
    if not 0 < cut1 < cut2 < n:
        raise ValidationError(
            f"{n} rows over {len(np.unique(times_us))} timestamps cannot make three time slices",
            field="times_us",
            code="too_few_rows",
        )
    return TimeSplit(order[:cut1], order[cut1:cut2], order[cut2:])


def _cut(ordered: npt.NDArray[np.int64], position: int) -> int:
    """Move a cut back to the first row with its timestamp, so ties are not split."""
    if position <= 0 or position >= len(ordered):
        return position
    return int(np.searchsorted(ordered, ordered[position], side="left"))
