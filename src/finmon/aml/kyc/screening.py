"""The seam between KYC and name screening.

KYC needs only an answer to "does this name look like a sanctioned person or a
PEP?"; how the lists are loaded and matched belongs to ``finmon.aml.screening``.
KYC therefore depends on this small protocol, not on that package, so either
can change (or be replaced by a vendor's screener) without touching the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ScreeningHit:
    """One list entry a name resembles.

    Attributes:
        list_name: which list the entry comes from (``ofac_sdn``, ``un``, ``pep`` ...).
        entry_id: the entry's id on that list, so an analyst can open it.
        matched_name: the name variant (primary name or alias) that matched.
        score: similarity 0-100; KYC applies its own near-match and strong-match cut-offs.
        is_pep: the entry is a politically exposed person, not a sanctions target.
    """

    list_name: str
    entry_id: str
    matched_name: str
    score: float
    is_pep: bool = False


@runtime_checkable
class NameScreener(Protocol):
    """Anything that screens one name against sanctions and PEP lists."""

    def screen(
        self,
        name: str,
        *,
        dob: date | None,
        country: str | None,
        entity_type: str,
    ) -> list[ScreeningHit]:
        """Candidate hits for ``name`` (``entity_type``: ``individual`` or ``business``)."""
        ...


__all__ = ["NameScreener", "ScreeningHit"]
