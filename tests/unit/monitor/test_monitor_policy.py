"""The decision policy: thresholds, per-channel overrides, and refusing nonsense."""

from __future__ import annotations

import pytest

from finmon.core.errors import ValidationError
from finmon.monitor.policy import DEFAULT_POLICY, Policy, Thresholds


def test_thresholds_map_scores_to_outcomes() -> None:
    policy = Policy(default=Thresholds(review=50, block=90))
    assert policy.outcome(0, None) == "approve"
    assert policy.outcome(49, "card_present") == "approve"
    assert policy.outcome(50, "card_present") == "review"
    assert policy.outcome(89, None) == "review"
    assert policy.outcome(90, None) == "block"
    assert policy.outcome(100, None) == "block"


def test_channel_overrides_take_precedence() -> None:
    assert DEFAULT_POLICY.outcome(45, "wire") == "review"
    assert DEFAULT_POLICY.outcome(45, "card_present") == "approve"


@pytest.mark.parametrize(("review", "block"), [(60, 50), (-1, 10), (10, 200)])
def test_inconsistent_thresholds_are_refused(review: int, block: int) -> None:
    with pytest.raises(ValidationError, match="thresholds"):
        Thresholds(review=review, block=block)
