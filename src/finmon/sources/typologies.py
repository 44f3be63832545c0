"""The typology vocabulary of the canonical labels file (``labels.typology``).

One list shared by whatever writes labels (the simulator, a bank's case
outcomes) and whatever measures detection against them (monitor and AML
evaluation), so a typology cannot be spelt two ways.
"""

from __future__ import annotations

FRAUD_TYPOLOGIES: tuple[str, ...] = (
    "card_testing",
    "account_takeover",
    "stolen_card_impossible_travel",
    "burst_fraud",
    "merchant_collusion",
    "first_party_bust_out",
)
AML_TYPOLOGIES: tuple[str, ...] = (
    "structuring",
    "rapid_movement",
    "fan_in",
    "fan_out",
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "bipartite",
    "stacked_layering",
    "mule_network",
    "dormant_reactivation",
    "high_risk_jurisdiction",
    "sanctioned_counterparty",
)
TYPOLOGIES: tuple[str, ...] = FRAUD_TYPOLOGIES + AML_TYPOLOGIES

__all__ = ["AML_TYPOLOGIES", "FRAUD_TYPOLOGIES", "TYPOLOGIES"]
