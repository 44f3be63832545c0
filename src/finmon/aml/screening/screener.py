"""Screening: candidate blocking, then fuzzy + phonetic scoring with explanations.

One query must not scan every listed name (the OFAC SDN list alone has ~23,000
names with aliases), so every name variant is indexed under a few *blocks*:
its normalised tokens, their metaphone keys, and 3-letter prefixes and
suffixes of longer tokens. A query looks up its own blocks; the variants that
share the most blocks (at most ``candidates`` of them) are scored, the rest
are never looked at. Blocks shared by a large share of the list (``"al"``,
``"mohammed"`` prefixes) are skipped as uninformative.

Scoring aligns query tokens to list tokens one-to-one (best similarity first,
so order does not matter), credits phonetic agreement and initials, and
penalises list tokens the query does not cover — mildly, so a missing middle
name still matches. Date of birth, nationality and entity type then move the
score up or down. Every match explains the name variant that matched
(primary, alias, weak alias, original script), the token pairs, the words
ignored as noise and each adjustment, because an analyst has to justify
clearing or escalating a hit.
"""

from __future__ import annotations

import heapq
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz import process as rf_process
from rapidfuzz.distance import OSA, Levenshtein

from finmon.aml.screening.countries import to_code
from finmon.aml.screening.model import Alias, AliasQuality, EntityType, Entry
from finmon.aml.screening.names import ProcessedName, process, validate_name
from finmon.core.errors import ValidationError

DEFAULT_THRESHOLD = 82.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score (0-100) at or above which a candidate is a match, per list.

    A list with many weak or short names (PEP lists) usually needs a higher
    threshold than a sanctions list where a missed hit is the costlier error.
    """

    default: float = DEFAULT_THRESHOLD
    per_list: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in {"default": self.default, **self.per_list}.items():
            if not 0 <= value <= 100:
                raise ValidationError(
                    f"threshold for {name} must be between 0 and 100, got {value}",
                    field=f"thresholds.{name}",
                    code="out_of_range",
                )

    def for_list(self, list_name: str) -> float:
        """The threshold that applies to ``list_name``."""
        return float(self.per_list.get(list_name, self.default))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thresholds:
        """From ``{"default": 85, "lists": {"un": 88}}`` (the settings file layout)."""
        lists = data.get("lists", {})
        if not isinstance(lists, Mapping):
            raise ValidationError("thresholds.lists must be a mapping", field="thresholds.lists")
        return cls(
            default=float(data.get("default", DEFAULT_THRESHOLD)),
            per_list={str(k): float(v) for k, v in lists.items()},
        )


@dataclass(frozen=True, slots=True)
class TokenPair:
    """One query token aligned with one list token, and why they count as the same."""

    query: str
    listed: str
    similarity: float  # 0-1
    how: str  # exact, phonetic, fuzzy, initial


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A booster or penalty applied on top of the name score."""

    factor: str  # dob, country, entity_type, alias_quality
    delta: float
    reason: str


@dataclass(frozen=True, slots=True)
class Match:
    """One candidate entry for a screened name, with everything needed to explain it."""

    entry_id: str
    list: str
    entity_type: EntityType
    primary_name: str
    score: float
    name_score: float
    threshold: float
    matched_name: str
    variant: str  # primary, alias, weak_alias, original_script
    matched_latin: str
    pairs: tuple[TokenPair, ...]
    unmatched_query: tuple[str, ...]
    unmatched_listed: tuple[str, ...]
    ignored_words: tuple[str, ...]
    adjustments: tuple[Adjustment, ...]
    programs: tuple[str, ...]

    @property
    def is_match(self) -> bool:
        """At or above the list's threshold."""
        return self.score >= self.threshold

    def explain(self) -> str:
        """One line an analyst can read."""
        pairs = ", ".join(f"{p.query}~{p.listed} ({p.how} {p.similarity:.2f})" for p in self.pairs)
        text = f"{self.variant} {self.matched_name!r}: {pairs or 'whole-name similarity'}"
        if self.unmatched_listed:
            text += f"; not in query: {' '.join(self.unmatched_listed)}"
        if self.ignored_words:
            text += f"; ignored: {' '.join(self.ignored_words)}"
        for adj in self.adjustments:
            text += f"; {adj.factor} {adj.delta:+.0f} ({adj.reason})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's ``--json`` output)."""
        return {
            "entry_id": self.entry_id,
            "list": self.list,
            "entity_type": self.entity_type.value,
            "primary_name": self.primary_name,
            "score": round(self.score, 1),
            "name_score": round(self.name_score, 1),
            "threshold": self.threshold,
            "match": self.is_match,
            "matched_name": self.matched_name,
            "variant": self.variant,
            "matched_latin": self.matched_latin,
            "pairs": [
                {
                    "query": p.query,
                    "listed": p.listed,
                    "similarity": round(p.similarity, 3),
                    "how": p.how,
                }
                for p in self.pairs
            ],
            "unmatched_query": list(self.unmatched_query),
            "unmatched_listed": list(self.unmatched_listed),
            "ignored_words": list(self.ignored_words),
            "adjustments": [
                {"factor": a.factor, "delta": a.delta, "reason": a.reason} for a in self.adjustments
            ],
            "programs": list(self.programs),
            "explanation": self.explain(),
        }


@dataclass(frozen=True, slots=True)
class Subject:
    """A customer or counterparty to (re-)screen."""

    subject_id: str
    name: str
    dob: str | None = None
    country: str | None = None
    entity_type: EntityType | None = None


@dataclass(frozen=True, slots=True)
class RescreenHit:
    """A customer that now matches an added or changed entry."""

    subject_id: str
    match: Match
    change: str  # added, changed


@dataclass(frozen=True, slots=True)
class ListDiff:
    """What changed between two versions of the lists, by entry id and content hash."""

    added: tuple[Entry, ...]
    changed: tuple[Entry, ...]
    removed: tuple[str, ...]


def diff_entries(old: Iterable[Entry], new: Iterable[Entry]) -> ListDiff:
    """Entries added, changed (same id, different content hash) and removed ids."""
    before = {e.entry_id: e.content_hash for e in old}
    added, changed = [], []
    current = set()
    for entry in new:
        current.add(entry.entry_id)
        previous = before.get(entry.entry_id)
        if previous is None:
            added.append(entry)
        elif previous != entry.content_hash:
            changed.append(entry)
    removed = tuple(sorted(set(before) - current))
    return ListDiff(tuple(added), tuple(changed), removed)


# --------------------------------------------------------------------------- internals


@dataclass(frozen=True, slots=True)
class _Variant:
    entry: int
    alias: Alias | None
    name: ProcessedName
    text: str  # the tokens, space-separated: what the C-speed prefilter compares


_PARTICLES = frozenset("al el bin ibn bint abu de del da di du dos das van von der la le".split())


def _blocks(name: ProcessedName) -> set[str]:
    keys: set[str] = set()
    for token, key, folded in zip(name.tokens, name.phonetics, name.folded, strict=True):
        keys.add("t" + token)
        if len(token) >= 3:
            keys.add("m" + key)
            keys.add("f" + folded)
        if len(token) >= 4:
            keys.add("p" + token[:3])
            keys.add("s" + token[-3:])
    if len(name.tokens) > 1 and len(name.joined) >= 4:
        keys.add("t" + name.joined)
    return keys


def _token_similarity(q: ProcessedName, i: int, t: ProcessedName, j: int) -> tuple[float, str]:
    a, b = q.tokens[i], t.tokens[j]
    if a == b:
        return 1.0, "exact"
    if len(a) == 1 or len(b) == 1:
        return (0.85, "initial") if a[0] == b[0] else (0.0, "fuzzy")
    sim = OSA.normalized_similarity(a, b)  # a transposition is one edit
    if len(a) > 2 and len(b) > 2:
        if q.folded[i] == t.folded[j]:
            return max(sim, 0.92), "transliteration"
        if q.phonetics[i] == t.phonetics[j] and sim >= 0.5:
            return max(sim, 0.9), "phonetic"
        folded = 0.95 * OSA.normalized_similarity(q.folded[i], t.folded[j])
        if folded > sim:
            return folded, "transliteration"
    return sim, "fuzzy"


def _weight(token: str) -> int:
    """Particles ("al", "bin", "de") are often dropped or glued on; they weigh little."""
    return 1 if token in _PARTICLES else max(len(token), 2)


Pairs = list[tuple[int, int, float, str]]


def _align(q: ProcessedName, t: ProcessedName) -> tuple[float, Pairs]:
    """Greedy one-to-one token alignment, best pairs first; returns (score 0-1, pairs).

    The score is token-weighted coverage of the query (precision), scaled by
    coverage of the listed name (recall) at 30 %: a missing middle name costs
    a little, a query that is only a fragment of a long name costs more.
    """
    scored = []
    for i in range(len(q.tokens)):
        for j in range(len(t.tokens)):
            sim, how = _token_similarity(q, i, t, j)
            if sim >= 0.5:
                scored.append((sim, i, j, how))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    used_q: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for sim, i, j, how in scored:
        if i not in used_q and j not in used_t:
            used_q.add(i)
            used_t.add(j)
            pairs.append((i, j, sim, how))
    q_weight = sum(_weight(x) for x in q.tokens)
    t_weight = sum(_weight(x) for x in t.tokens)
    covered_q = sum(sim * _weight(q.tokens[i]) for i, _, sim, _ in pairs)
    covered_t = sum(sim * _weight(t.tokens[j]) for _, j, sim, _ in pairs)
    precision = covered_q / q_weight
    recall = covered_t / t_weight
    return precision * (0.7 + 0.3 * recall), pairs


def _name_score(q: ProcessedName, t: ProcessedName) -> tuple[float, Pairs]:
    if q.joined == t.joined and len(q.tokens) == len(t.tokens):
        return 100.0, [(i, i, 1.0, "exact") for i in range(len(q.tokens))]
    aligned, pairs = _align(q, t)
    whole = max(
        Levenshtein.normalized_similarity(q.joined, t.joined),
        Levenshtein.normalized_similarity("".join(sorted(q.tokens)), "".join(sorted(t.tokens))),
    )
    # Whole-string similarity catches split or merged tokens; it must not beat
    # the alignment for a strict subset of tokens, so it is damped.
    return 100.0 * max(aligned, whole * 0.97), pairs


def _dob_adjustment(query: str, listed: Sequence[str]) -> Adjustment | None:
    if not listed:
        return None
    if query in listed:
        return Adjustment("dob", 5.0, f"date of birth {query} listed")
    years = {d[:4] for d in listed if d[:4].isdigit()}
    year = query[:4]
    if year in years:
        partial = any(d == year or d[:7] == query[:7] for d in listed)
        return Adjustment("dob", 3.0 if partial else 0.0, f"year of birth {year} listed")
    if any(abs(int(y) - int(year)) <= 1 for y in years):
        return Adjustment("dob", -5.0, f"year of birth within a year of {sorted(years)}")
    return Adjustment("dob", -15.0, f"date of birth {query} not among {list(listed)[:4]}")


def _country_adjustment(query: str, listed: Sequence[str]) -> Adjustment | None:
    if not listed:
        return None
    if query in listed:
        return Adjustment("country", 3.0, f"country {query} listed")
    return Adjustment("country", -5.0, f"country {query} not among {list(listed)[:4]}")


_PERSON_LIKE = {EntityType.INDIVIDUAL}


def _type_adjustment(query: EntityType, listed: EntityType) -> Adjustment | None:
    if query == listed:
        return None
    if (query in _PERSON_LIKE) != (listed in _PERSON_LIKE) or {query, listed} == {
        EntityType.VESSEL,
        EntityType.AIRCRAFT,
    }:
        return Adjustment("entity_type", -10.0, f"query is {query.value}, entry is {listed.value}")
    return None


def _non_latin(text: str) -> bool:
    return any(c.isalpha() and "LATIN" not in unicodedata.name(c, "") for c in text)


def _variant_label(alias: Alias | None) -> str:
    if alias is None:
        return "primary"
    if alias.kind == "original_script" or _non_latin(alias.name):
        return "original_script"
    return "weak_alias" if alias.quality is AliasQuality.WEAK else "alias"


def _validate_dob(dob: str | None) -> str | None:
    if dob is None or not dob.strip():
        return None
    text = dob.strip()
    parts = text.split("-")
    ok = (
        all(p.isdigit() for p in parts)
        and len(parts[0]) == 4
        and len(parts) <= 3
        and all(len(p) == 2 for p in parts[1:])
    )
    if not ok:
        raise ValidationError(
            f"dob must be YYYY-MM-DD, YYYY-MM or YYYY, got {dob!r}", field="dob", code="invalid"
        )
    return text


def _validate_country(country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    code = to_code(country)
    if len(code) != 2 or not code.isupper():
        raise ValidationError(
            f"country must be an ISO 3166 alpha-2 code or a country name, got {country!r}",
            field="country",
            code="invalid",
        )
    return code


class Screener:
    """An in-memory index over list entries; thread-safe for concurrent ``screen`` calls.

    Args:
        entries: every entry of every list to screen against.
        thresholds: per-list match thresholds.
        candidates: how many best-blocked name variants are prefiltered per query.
        scored: how many of those (best by WRatio) get the full token alignment.
        max_block_share: blocks shared by more than this share of all variants are skipped.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        thresholds: Thresholds | None = None,
        *,
        candidates: int = 50,
        scored: int = 12,
        max_block_share: float = 0.03,
    ) -> None:
        self.entries: list[Entry] = list(entries)
        self.thresholds = thresholds or Thresholds()
        self.candidates = candidates
        self.scored = scored
        self._variants: list[_Variant] = []
        index: dict[str, list[int]] = {}
        for position, entry in enumerate(self.entries):
            for text, alias in entry.names():
                processed = process(text)
                if not processed.tokens:
                    continue
                number = len(self._variants)
                text = " ".join(processed.tokens)
                self._variants.append(_Variant(position, alias, processed, text))
                for block in _blocks(processed):
                    index.setdefault(block, []).append(number)
        self._index = index
        self._max_block = max(50, int(len(self._variants) * max_block_share))

    @property
    def variant_count(self) -> int:
        """Indexed names (primary names and aliases)."""
        return len(self._variants)

    def _candidates(self, query: ProcessedName) -> list[int]:
        postings = [self._index[b] for b in _blocks(query) if b in self._index]
        if not postings:
            return []
        informative = [p for p in postings if len(p) <= self._max_block]
        if not informative:
            informative = [min(postings, key=len)]
        counts: Counter[int] = Counter()
        for posting in informative:
            counts.update(posting)
        if len(counts) <= self.candidates:
            return list(counts)
        return [v for v, _ in heapq.nlargest(self.candidates, counts.items(), key=lambda x: x[1])]

    def screen(
        self,
        name: str,
        *,
        dob: str | None = None,
        country: str | None = None,
        entity_type: EntityType | str | None = None,
        limit: int = 5,
    ) -> list[Match]:
        """The best ``limit`` candidate entries for ``name``, best first (one per entry).

        Candidates below their list's threshold are included (``is_match`` is
        false) so a caller can show near misses; filter on ``is_match``.
        Raises :class:`ValidationError` naming the field for an empty or absurd
        name, a malformed date of birth or an unknown country.
        """
        clean = validate_name(name)
        dob_value = _validate_dob(dob)
        country_code = _validate_country(country)
        kind = _entity_type(entity_type)
        if limit < 1:
            raise ValidationError("limit must be at least 1", field="limit", code="out_of_range")
        query = process(clean)
        best: dict[int, tuple[float, int, Pairs]] = {}
        for number in self._shortlist(query):
            variant = self._variants[number]
            score, pairs = _name_score(query, variant.name)
            if variant.alias is not None and variant.alias.quality is AliasQuality.WEAK:
                score -= 5.0  # ranks a strong alias above an equal weak one
            held = best.get(variant.entry)
            if held is None or score > held[0]:
                best[variant.entry] = (score, number, pairs)
        ranked = sorted(best.values(), key=lambda item: -item[0])[: max(limit * 3, 10)]
        adjusted = [
            (*self._adjust(number, score, dob_value, country_code, kind), number, pairs)
            for score, number, pairs in ranked
        ]
        adjusted.sort(key=lambda item: (-item[0], self._variants[item[3]].entry))
        return [
            self._match(query, number, pairs, total, base, adjustments)
            for total, base, adjustments, number, pairs in adjusted[:limit]
        ]

    def _shortlist(self, query: ProcessedName) -> list[int]:
        """Blocked candidates, cut to ``scored`` by rapidfuzz's WRatio (C speed).

        The full token alignment is the expensive step, so only the variants
        WRatio ranks best are aligned; WRatio already credits reordered and
        subset tokens, so it rarely drops the right one.
        """
        numbers = self._candidates(query)
        if len(numbers) <= self.scored:
            return numbers
        text = " ".join(query.tokens)
        choices = [self._variants[n].text for n in numbers]
        top = rf_process.extract(text, choices, scorer=fuzz.WRatio, limit=self.scored)
        return [numbers[index] for _, _, index in top]

    def screen_many(
        self, subjects: Iterable[Subject | str], *, limit: int = 5
    ) -> list[list[Match]]:
        """``screen`` for each subject (a :class:`Subject` or a bare name), in order."""
        results = []
        for subject in subjects:
            if isinstance(subject, str):
                results.append(self.screen(subject, limit=limit))
            else:
                results.append(
                    self.screen(
                        subject.name,
                        dob=subject.dob,
                        country=subject.country,
                        entity_type=subject.entity_type,
                        limit=limit,
                    )
                )
        return results

    def rescreen(
        self, customers: Iterable[Subject], since_list_version: Iterable[Entry]
    ) -> list[RescreenHit]:
        """Re-screen customers against only what changed since an earlier list version.

        ``since_list_version`` is the entries of that earlier version (of one or
        more lists; lists absent from it are not compared); entries whose id is
        new or whose content hash differs are indexed on their own
        and every customer is screened against that small index, so a daily list
        update costs a fraction of a full re-screen.
        """
        previous = list(since_list_version)
        lists = {e.list for e in previous}
        diff = diff_entries(previous, (e for e in self.entries if e.list in lists))
        delta = [*diff.added, *diff.changed]
        if not delta:
            return []
        changed_ids = {e.entry_id for e in diff.changed}
        small = Screener(delta, self.thresholds, max_block_share=1.0)
        hits = []
        for customer in customers:
            for match in small.screen_many([customer], limit=len(delta))[0]:
                if match.is_match:
                    change = "changed" if match.entry_id in changed_ids else "added"
                    hits.append(RescreenHit(customer.subject_id, match, change))
        return hits

    def _adjust(
        self,
        number: int,
        name_score: float,
        dob: str | None,
        country: str | None,
        kind: EntityType | None,
    ) -> tuple[float, float, list[Adjustment]]:
        """(final score, name score, adjustments): boosters and penalties on the name score."""
        variant = self._variants[number]
        entry = self.entries[variant.entry]
        adjustments = [
            adj
            for adj in (
                _dob_adjustment(dob, entry.dates_of_birth) if dob else None,
                _country_adjustment(country, entry.countries) if country else None,
                _type_adjustment(kind, entry.entity_type) if kind else None,
            )
            if adj is not None
        ]
        # name_score already carries the weak-alias penalty (it ranks variants); shown apart
        weak = variant.alias is not None and variant.alias.quality is AliasQuality.WEAK
        if weak:
            adjustments.insert(0, Adjustment("alias_quality", -5.0, "weak alias (nickname)"))
        base = name_score + (5.0 if weak else 0.0)
        total = base + sum(a.delta for a in adjustments)
        return round(min(100.0, max(0.0, total)), 1), round(min(100.0, base), 1), adjustments

    def _match(
        self,
        query: ProcessedName,
        number: int,
        pairs: Pairs,
        total: float,
        base: float,
        adjustments: list[Adjustment],
    ) -> Match:
        variant = self._variants[number]
        entry = self.entries[variant.entry]
        listed = variant.name
        matched_q = {i for i, _, _, _ in pairs}
        matched_t = {j for _, j, _, _ in pairs}
        return Match(
            entry_id=entry.entry_id,
            list=entry.list,
            entity_type=entry.entity_type,
            primary_name=entry.name,
            score=total,
            name_score=base,
            threshold=self.thresholds.for_list(entry.list),
            matched_name=listed.original,
            variant=_variant_label(variant.alias),
            matched_latin=listed.latin,
            pairs=tuple(
                TokenPair(query.tokens[i], listed.tokens[j], round(sim, 3), how)
                for i, j, sim, how in pairs
            ),
            unmatched_query=tuple(t for i, t in enumerate(query.tokens) if i not in matched_q),
            unmatched_listed=tuple(t for j, t in enumerate(listed.tokens) if j not in matched_t),
            ignored_words=tuple(dict.fromkeys((*query.noise, *listed.noise))),
            adjustments=tuple(adjustments),
            programs=entry.programs,
        )


def _entity_type(value: EntityType | str | None) -> EntityType | None:
    if value is None or isinstance(value, EntityType):
        return value
    try:
        return EntityType(value.strip().lower())
    except ValueError:
        raise ValidationError(
            f"entity_type must be one of {', '.join(e.value for e in EntityType)}, got {value!r}",
            field="entity_type",
            code="invalid",
        ) from None


__all__ = [
    "DEFAULT_THRESHOLD",
    "Adjustment",
    "ListDiff",
    "Match",
    "RescreenHit",
    "Screener",
    "Subject",
    "Thresholds",
    "TokenPair",
    "diff_entries",
]
