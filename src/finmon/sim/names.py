"""The typology names, in a fixed order: the label code of a typology is its index here."""

from __future__ import annotations

FRAUD_TYPOLOGIES = (
    "card_testing",
    "account_takeover",
    "stolen_card_impossible_travel",
    "burst_fraud",
    "merchant_collusion",
    "first_party_bust_out",
)
AML_TYPOLOGIES = (
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
TYPOLOGIES = FRAUD_TYPOLOGIES + AML_TYPOLOGIES
TYPOLOGY_CODE = {name: i for i, name in enumerate(TYPOLOGIES)}

__all__ = ["AML_TYPOLOGIES", "FRAUD_TYPOLOGIES", "TYPOLOGIES", "TYPOLOGY_CODE"]
