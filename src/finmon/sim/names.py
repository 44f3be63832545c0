"""The typology names, in a fixed order: the label code of a typology is its index here."""

from __future__ import annotations

from finmon.sources.typologies import AML_TYPOLOGIES, FRAUD_TYPOLOGIES, TYPOLOGIES

TYPOLOGY_CODE = {name: i for i, name in enumerate(TYPOLOGIES)}

__all__ = ["AML_TYPOLOGIES", "FRAUD_TYPOLOGIES", "TYPOLOGIES", "TYPOLOGY_CODE"]
