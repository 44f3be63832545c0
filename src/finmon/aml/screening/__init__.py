"""Sanctions and PEP screening: list loaders, name processing, blocking, scoring, list store.

``finmon.aml.screening`` screens a name (a customer at onboarding, a
counterparty on a payment, the whole customer base after a list update)
against OFAC, UN, EU and OpenSanctions lists or a user's own list, and
explains every match. See docs/screening.md.
"""

from finmon.aml.screening.loaders import FORMATS, detect_format, load_list
from finmon.aml.screening.model import Alias, AliasQuality, EntityType, Entry, list_hash
from finmon.aml.screening.names import ProcessedName, process, validate_name
from finmon.aml.screening.screener import (
    DEFAULT_THRESHOLD,
    Adjustment,
    ListDiff,
    Match,
    RescreenHit,
    Screener,
    Subject,
    Thresholds,
    TokenPair,
    diff_entries,
)
from finmon.aml.screening.store import ListStore, ListVersion, LoadResult

__all__ = [
    "DEFAULT_THRESHOLD",
    "FORMATS",
    "Adjustment",
    "Alias",
    "AliasQuality",
    "EntityType",
    "Entry",
    "ListDiff",
    "ListStore",
    "ListVersion",
    "LoadResult",
    "Match",
    "ProcessedName",
    "RescreenHit",
    "Screener",
    "Subject",
    "Thresholds",
    "TokenPair",
    "detect_format",
    "diff_entries",
    "list_hash",
    "load_list",
    "process",
    "validate_name",
]
