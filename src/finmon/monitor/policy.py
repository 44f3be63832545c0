"""Decision policy: score thresholds that turn a 0-100 risk score into approve / review / block.

Thresholds differ by channel (or any segment a bank keys them by) because the
cost of a false block differs: a declined card at a till is an annoyed customer,
a held wire is a phone call. The policy is data, not code, so risk owners can
change it without a release.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from finmon.core.errors import ValidationError
from finmon.monitor.decision import Outcome


@dataclass(frozen=True, slots=True)
class Thresholds:
    """``review`` from this score up, ``block`` from that one up (review <= block)."""

    review: int = 50
    block: int = 90

    def __post_init__(self) -> None:
        if not 0 <= self.review <= self.block <= 101:
            raise ValidationError(
                f"thresholds must satisfy 0 <= review <= block <= 101, got "
                f"review={self.review} block={self.block}",
                field="thresholds",
            )


@dataclass(frozen=True, slots=True)
class Policy:
    """Default thresholds, with overrides per channel."""

    default: Thresholds = field(default_factory=Thresholds)
    by_channel: Mapping[str, Thresholds] = field(default_factory=dict)

    def thresholds(self, channel: str | None) -> Thresholds:
        return self.by_channel.get(channel or "", self.default)

    def outcome(self, score: int, channel: str | None) -> Outcome:
        limits = self.thresholds(channel)
        if score >= limits.block:
            return "block"
        if score >= limits.review:
            return "review"
        return "approve"


#: Wires and cross-border transfers are reviewed earlier: a hold costs minutes, a loss is final.
DEFAULT_POLICY = Policy(
    default=Thresholds(review=50, block=90),
    by_channel={"wire": Thresholds(review=40, block=90)},
)

__all__ = ["DEFAULT_POLICY", "Policy", "Thresholds"]
