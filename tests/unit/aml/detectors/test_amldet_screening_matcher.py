"""The sanctions detector with the real screener: typos and reordering still match."""

from __future__ import annotations

from pathlib import Path

from amldet_stream import leg, run

from finmon.aml.detectors import SanctionedCounterpartyDetector
from finmon.aml.detectors.screening_matcher import ScreenerMatcher, loaded_lists_matcher
from finmon.aml.screening import EntityType, Entry, Screener
from finmon.aml.screening.model import Alias


def _screener() -> Screener:
    return Screener(
        [
            Entry(
                entry_id="t:1",
                list="test",
                entity_type=EntityType.ENTITY,
                name="Banco Nacional de Cuba",
                aliases=(Alias("BNC Havana"),),
            )
        ]
    )


def test_a_misspelt_listed_counterparty_is_found() -> None:
    detector = SanctionedCounterpartyDetector(name_matcher=ScreenerMatcher(_screener()))
    txns = [
        leg("P1", "debit", 5_000, 0, cp="X", name="Banco Nacionall de Cuba"),
        leg("P2", "debit", 5_000, 0, cp="Y", name="Corner Bakery Ltd"),
    ]
    (found,) = run(detector, txns)
    assert found.account_ids == ("P1",)
    assert found.score >= 80


def test_unmatched_and_absurd_names_are_no_match() -> None:
    matcher = ScreenerMatcher(_screener())
    assert matcher("Corner Bakery Ltd") is None
    assert matcher("!!!") is None
    assert matcher("Banco Nacional de Cuba") is not None


def test_no_loaded_lists_gives_no_matcher(tmp_path: Path) -> None:
    assert loaded_lists_matcher(tmp_path / "screening") is None
