"""A seeded name-variation test set built from a list, and recall / false-positive rates.

Screening quality cannot be asserted on a handful of hand-picked names, so
variants are generated from the list itself: typos (1-2 edits), Latin
transliteration variants (``ou``/``u``, ``kh``/``h``, ``Mohammed``/``Muhammad``
...), the name written in Cyrillic, reordered tokens, a missing middle token
and initials. Negatives recombine given names and surnames from *different*
entries (real-looking, not listed); a recombination whose tokens all occur in
one listed name is discarded, since alerting on it would be correct.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from finmon.aml.screening.model import EntityType, Entry
from finmon.aml.screening.names import process
from finmon.aml.screening.screener import Screener

CATEGORIES = (
    "typo1",
    "typo2",
    "transliteration",
    "cyrillic",
    "reordered",
    "missing_middle",
    "initials",
)

_RULES = (
    ("mohammed", "muhammad"),
    ("muhammad", "mohamed"),
    ("mohamed", "mohammad"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("kh", "h"),
    ("ph", "f"),
    ("q", "k"),
    ("y", "i"),
    ("ie", "y"),
    ("dh", "d"),
    ("sh", "ch"),
    ("abdul", "abd al"),
    ("abd al", "abdul"),
    ("j", "dj"),
    ("u", "ou"),
    ("ss", "s"),
    ("ll", "l"),
    ("tt", "t"),
    ("mm", "m"),
)

_CYRILLIC = {
    "shch": "щ",
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "yu": "ю",
    "ya": "я",
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "дж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "y": "й",
    "z": "з",
}
_CYRILLIC_KEYS = sorted(_CYRILLIC, key=len, reverse=True)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class Case:
    """One query and the entry it should (or, for negatives, should not) match."""

    query: str
    category: str  # one of CATEGORIES, or "negative"
    entry_id: str | None


def _words(entry: Entry) -> list[str]:
    return [w for w in re.split(r"[\s,]+", entry.name) if w]


def _typo(rng: random.Random, words: list[str], edits: int) -> str | None:
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long_words:
        return None
    out = list(words)
    for _ in range(edits):
        i = rng.choice(long_words)
        word = out[i]
        pos = rng.randrange(1, len(word) - 1)
        op = rng.choice(("sub", "del", "ins", "swap"))
        if op == "sub":
            word = word[:pos] + rng.choice(_LETTERS) + word[pos + 1 :]
        elif op == "del":
            word = word[:pos] + word[pos + 1 :]
        elif op == "ins":
            word = word[:pos] + rng.choice(_LETTERS) + word[pos:]
        else:
            word = word[: pos - 1] + word[pos] + word[pos - 1] + word[pos + 1 :]
        out[i] = word
    return " ".join(out)


def _transliterate(rng: random.Random, words: list[str]) -> str | None:
    text = " ".join(words).lower()
    rules = [(a, b) for a, b in _RULES if a in text]
    if not rules:
        return None
    old, new = rng.choice(rules)
    return text.replace(old, new, 1)


def to_cyrillic(text: str) -> str:
    """A crude Latin-to-Cyrillic rendering (how a Russian-language form might write a name)."""
    lower, out, i = text.lower(), [], 0
    while i < len(lower):
        for key in _CYRILLIC_KEYS:
            if lower.startswith(key, i):
                out.append(_CYRILLIC[key])
                i += len(key)
                break
        else:
            out.append(lower[i])
            i += 1
    return "".join(out)


def _variant(rng: random.Random, entry: Entry, category: str) -> str | None:
    words = [w for w in _words(entry) if any(c.isalpha() for c in w)]
    if category in {"typo1", "typo2"}:
        return _typo(rng, words, 1 if category == "typo1" else 2)
    if category == "transliteration":
        return _transliterate(rng, words)
    if category == "cyrillic":
        return to_cyrillic(" ".join(words))
    if len(words) < 2:
        return None
    if category == "reordered":
        shuffled = list(words)
        while shuffled == words:
            rng.shuffle(shuffled)
        return " ".join(shuffled)
    if len(words) < 3 or entry.entity_type is not EntityType.INDIVIDUAL:
        return None  # organisations have no middle names or initials
    if category == "missing_middle":
        drop = rng.randrange(1, len(words) - 1)
        return " ".join(w for i, w in enumerate(words) if i != drop)
    initial = rng.randrange(1, len(words))  # keep the surname (first in OFAC's "LAST, First")
    return " ".join(w[0] if i == initial else w for i, w in enumerate(words))


def _split_person(entry: Entry) -> tuple[list[str], list[str]]:
    last, _, given = entry.name.partition(",")
    return given.split(), last.split()


def _negatives(rng: random.Random, entries: Sequence[Entry], count: int) -> list[Case]:
    people = [e for e in entries if e.entity_type is EntityType.INDIVIDUAL and "," in e.name]
    given = [g for e in people if (g := _split_person(e)[0])]
    surnames = [s for e in people if (s := _split_person(e)[1])]
    listed = [frozenset(process(n).folded) for e in entries for n, _ in e.names()]
    listed_sets = set(listed)
    token_index: dict[str, list[frozenset[str]]] = {}
    for tokens in listed:
        for token in tokens:
            token_index.setdefault(token, []).append(tokens)
    cases: list[Case] = []
    attempts = 0
    while len(cases) < count and attempts < count * 50:
        attempts += 1
        name = f"{' '.join(rng.choice(given))} {' '.join(rng.choice(surnames))}"
        tokens = frozenset(process(name).folded)
        if tokens in listed_sets or not tokens:
            continue
        first = next(iter(tokens))
        if any(tokens <= other for other in token_index.get(first, [])):
            continue  # every token (folded) is in one listed name: a hit would be right
        cases.append(Case(name, "negative", None))
    return cases


def build_cases(entries: Sequence[Entry], *, per_category: int = 200, seed: int = 7) -> list[Case]:
    """``per_category`` variants for each category, plus as many negatives × 2; seeded."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible test set, not security
    pool = [e for e in entries if e.entity_type in (EntityType.INDIVIDUAL, EntityType.ENTITY)]
    cases: list[Case] = []
    for category in CATEGORIES:
        made = 0
        for entry in rng.sample(pool, len(pool)):
            if made >= per_category:
                break
            query = _variant(rng, entry, category)
            if query and process(query).tokens:
                cases.append(Case(query, category, entry.entry_id))
                made += 1
    cases.extend(_negatives(rng, entries, per_category * 2))
    return cases


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Recall per category and the false-positive rate on negatives."""

    recall: dict[str, float]
    counts: dict[str, int]
    false_positive_rate: float
    negatives: int
    misses: dict[str, list[str]]
    false_positives: list[str]

    @property
    def overall_recall(self) -> float:
        """Recall over every positive case."""
        total = sum(self.counts.values())
        hit = sum(self.recall[c] * self.counts[c] for c in self.counts)
        return hit / total if total else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures."""
        return {
            "recall": {k: round(v, 4) for k, v in self.recall.items()},
            "overall_recall": round(self.overall_recall, 4),
            "cases": self.counts,
            "false_positive_rate": round(self.false_positive_rate, 4),
            "negatives": self.negatives,
        }


def evaluate(screener: Screener, cases: Sequence[Case]) -> Evaluation:
    """A positive counts when its source entry is among the matches at threshold."""
    hits: dict[str, int] = {}
    counts: dict[str, int] = {}
    misses: dict[str, list[str]] = {}
    false_positives: list[str] = []
    negatives = 0
    for case in cases:
        matches = [m for m in screener.screen(case.query, limit=10) if m.is_match]
        if case.entry_id is None:
            negatives += 1
            if matches:
                false_positives.append(f"{case.query} -> {matches[0].matched_name}")
            continue
        counts[case.category] = counts.get(case.category, 0) + 1
        if any(m.entry_id == case.entry_id for m in matches):
            hits[case.category] = hits.get(case.category, 0) + 1
        else:
            misses.setdefault(case.category, []).append(case.query)
    recall = {c: hits.get(c, 0) / n for c, n in counts.items()}
    fpr = len(false_positives) / negatives if negatives else 0.0
    return Evaluation(recall, counts, fpr, negatives, misses, false_positives)


__all__ = ["CATEGORIES", "Case", "Evaluation", "build_cases", "evaluate", "to_cyrillic"]
