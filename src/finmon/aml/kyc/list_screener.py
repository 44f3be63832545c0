"""KYC's screening seam filled by :mod:`finmon.aml.screening`: the loaded sanctions and PEP
lists answer onboarding and rating, through the same screener payments use."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from finmon.aml.kyc.screening import NameScreener, ScreeningHit
from finmon.aml.screening import ListStore, Screener

PEP_TOPIC = "role.pep"
_ENTITY_TYPES = {"individual": "individual", "business": "entity"}


class ListScreener:
    """A :class:`NameScreener` over a :class:`Screener` (every list entry it holds)."""

    def __init__(self, screener: Screener) -> None:
        self._screener = screener
        self._pep = {e.entry_id for e in screener.entries if PEP_TOPIC in e.topics}

    def screen(
        self, name: str, *, dob: date | None, country: str | None, entity_type: str
    ) -> list[ScreeningHit]:
        matches = self._screener.screen(
            name,
            dob=dob.isoformat() if dob else None,
            country=country,
            entity_type=_ENTITY_TYPES.get(entity_type, entity_type),
        )
        return [
            ScreeningHit(
                list_name=m.list,
                entry_id=m.entry_id,
                matched_name=m.matched_name,
                score=float(m.score),
                is_pep=m.entry_id in self._pep,
            )
            for m in matches
        ]


def loaded_list_screener(screening_dir: Path) -> NameScreener | None:
    """The screener over the lists loaded under ``screening_dir``, or None when none are."""
    store = ListStore(screening_dir)
    if not store.active():
        return None
    return ListScreener(store.screener())


__all__ = ["PEP_TOPIC", "ListScreener", "loaded_list_screener"]
