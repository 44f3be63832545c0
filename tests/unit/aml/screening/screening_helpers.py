"""Paths of the sample lists and fixtures, and small entry builders for hand-made lists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finmon.aml.screening import Alias, AliasQuality, EntityType, Entry

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parents[3]
SANCTIONS = Path(os.environ.get("FINMON_SANCTIONS_DIR") or REPO.parent / "shared/data/sanctions")
SDN_DIR = SANCTIONS / "ofac_sdn_2021-07"
CONS_DIR = SANCTIONS / "ofac_non_sdn_consolidated"
UN_XML = SANCTIONS / "un" / "UN_consolidated.xml"

needs_samples = pytest.mark.skipif(
    not (SDN_DIR / "sdn.csv").exists(), reason="sample sanctions lists not present"
)


def person(
    entry_id: str,
    name: str,
    *aliases: str,
    dob: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    list_name: str = "test",
    weak: tuple[str, ...] = (),
) -> Entry:
    return Entry(
        entry_id=f"{list_name}:{entry_id}",
        list=list_name,
        entity_type=EntityType.INDIVIDUAL,
        name=name,
        aliases=tuple(Alias(a) for a in aliases) + tuple(Alias(w, AliasQuality.WEAK) for w in weak),
        dates_of_birth=dob,
        countries=countries,
    )


def company(entry_id: str, name: str, *aliases: str, list_name: str = "test") -> Entry:
    return Entry(
        entry_id=f"{list_name}:{entry_id}",
        list=list_name,
        entity_type=EntityType.ENTITY,
        name=name,
        aliases=tuple(Alias(a) for a in aliases),
    )
