"""KYC screening through the real sanctions screener (the adapter between the two packages)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from finmon.aml.kyc.list_screener import ListScreener, loaded_list_screener
from finmon.aml.screening import EntityType, Entry, Screener
from finmon.aml.screening.model import Alias


def _entries() -> list[Entry]:
    return [
        Entry(
            entry_id="t:1",
            list="test",
            entity_type=EntityType.INDIVIDUAL,
            name="Viktor Petrovich Bout",
            aliases=(Alias("Victor Bout"),),
            dates_of_birth=("1967-01-13",),
        ),
        Entry(
            entry_id="p:2",
            list="pep",
            entity_type=EntityType.INDIVIDUAL,
            name="Maria Gonzalez Ortega",
            topics=("role.pep",),
        ),
    ]


def test_a_listed_name_comes_back_as_a_hit_with_its_list_and_entry() -> None:
    screener = ListScreener(Screener(_entries()))
    hits = screener.screen(
        "Victor Bout", dob=date(1967, 1, 13), country=None, entity_type="individual"
    )
    best = hits[0]
    assert best.entry_id == "t:1"
    assert best.list_name == "test"
    assert best.score >= 90
    assert not best.is_pep


def test_pep_entries_are_flagged_as_pep() -> None:
    screener = ListScreener(Screener(_entries()))
    hits = screener.screen(
        "Maria Gonzalez Ortega", dob=None, country=None, entity_type="individual"
    )
    assert hits[0].is_pep


def test_no_loaded_lists_means_no_screener(tmp_path: Path) -> None:
    assert loaded_list_screener(tmp_path / "screening") is None
