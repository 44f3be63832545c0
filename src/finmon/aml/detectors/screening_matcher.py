"""The sanctions detector's name hook filled by the real screener.

When sanctions lists are loaded (``finmon lists load``), counterparty names are
screened with :class:`finmon.aml.screening.Screener` — transliteration, typos,
reordered tokens, aliases — instead of the standalone exact-name matcher, so
payments to a listed party are found however the name was typed.
"""

from __future__ import annotations

from pathlib import Path

from finmon.aml.detectors.profile import NameMatcher
from finmon.aml.screening import ListStore, Screener
from finmon.core.errors import ValidationError


class ScreenerMatcher:
    """A :data:`NameMatcher`: the best candidate's score when it reaches its list's
    threshold, else None. A name the screener refuses (empty, absurd) is no match."""

    def __init__(self, screener: Screener) -> None:
        self._screener = screener

    def __call__(self, name: str) -> float | None:
        try:
            matches = self._screener.screen(name, limit=1)
        except ValidationError:
            return None
        if matches and matches[0].is_match:
            return float(matches[0].score)
        return None


def loaded_lists_matcher(screening_dir: Path) -> NameMatcher | None:
    """A matcher over the lists loaded under ``screening_dir``, or None when none are."""
    store = ListStore(screening_dir)
    if not store.active():
        return None
    return ScreenerMatcher(store.screener())


__all__ = ["ScreenerMatcher", "loaded_lists_matcher"]
