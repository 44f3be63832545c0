"""Screening: blocking, scoring, explanations, boosters, scripts, thresholds, re-screening."""

from __future__ import annotations

import pytest
from screening_helpers import FIXTURES, company, person

from finmon.aml.screening import (
    EntityType,
    Screener,
    Subject,
    Thresholds,
    diff_entries,
    load_list,
)
from finmon.core.errors import ValidationError

ENTRIES = [
    person("1", "NORIEGA, Manuel Antonio", dob=("1934-02-11",), countries=("PA",)),
    person(
        "2",
        "AL ZAWAHIRI, Dr. Ayman",
        "AL-ZAWAHIRI, Aiman",
        dob=("1951-06-19",),
        countries=("EG",),
        weak=("The Doctor",),
    ),
    person("3", "PETROV, Ivan Sergeyevich", "Петров Иван Сергеевич", countries=("RU",)),
    person("4", "KIM Jong Un", "金正恩", countries=("KP",)),
    person("5", "HUSSEIN, Saddam", "صدام حسين", countries=("IQ",)),
    company("6", "BANCO NACIONAL DE CUBA", "NATIONAL BANK OF CUBA"),
    company("7", "EXAMPLE SHIPPING LLC"),
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(ENTRIES)


def _best(screener: Screener, name: str, **kw: object) -> tuple[str, float]:
    match = screener.screen(name, **kw)[0]  # type: ignore[arg-type]
    return match.entry_id, match.score


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Manuel Antonio Noriega", "test:1"),  # reordered
        ("Manuel Noriega", "test:1"),  # missing middle name
        ("M. A. Noriega", "test:1"),  # initials
        ("Manuel Antonoi Noreiga", "test:1"),  # typos (transpositions)
        ("Aiman al-Zawahri", "test:2"),  # transliteration
        ("Mr Ayman Zawahiri", "test:2"),  # honorific, missing particle
        ("Иван Петров", "test:3"),  # Cyrillic query
        ("Ivan Petrov", "test:3"),
        ("金正恩", "test:4"),  # CJK
        ("صدام حسين", "test:5"),  # Arabic, matched through the original-script alias
        ("Banco Nacional de Cuba S.A.", "test:6"),  # legal form ignored
        ("Example Shipping Ltd", "test:7"),
    ],
)
def test_variants_match_their_entry(screener: Screener, query: str, expected: str) -> None:
    matches = screener.screen(query)
    assert matches[0].entry_id == expected
    assert matches[0].is_match, matches[0].explain()


@pytest.mark.parametrize("query", ["John Smith", "Maria Garcia", "Acme Widgets Inc", "Ivan Ivanov"])
def test_unrelated_names_do_not_match(screener: Screener, query: str) -> None:
    assert not [m for m in screener.screen(query) if m.is_match]


def test_a_match_explains_variant_tokens_and_noise(screener: Screener) -> None:
    match = screener.screen("Mr. Aiman Zawahiri")[0]
    assert match.entry_id == "test:2"
    assert match.variant == "alias"
    assert match.matched_name == "AL-ZAWAHIRI, Aiman"
    pairs = {(p.query, p.listed) for p in match.pairs}
    assert ("aiman", "aiman") in pairs
    assert ("zawahiri", "zawahiri") in pairs
    assert "mr" in match.ignored_words
    assert "al" in match.unmatched_listed
    text = match.explain()
    assert "AL-ZAWAHIRI, Aiman" in text
    assert "ignored: mr" in text
    assert match.to_dict()["match"] is True


def test_original_script_match_is_labelled(screener: Screener) -> None:
    match = screener.screen("Петров Иван")[0]
    assert match.variant == "original_script"
    assert match.matched_name == "Петров Иван Сергеевич"


def test_weak_alias_matches_weaker(screener: Screener) -> None:
    match = screener.screen("The Doctor")[0]
    assert match.variant == "weak_alias"
    assert any(a.factor == "alias_quality" and a.delta < 0 for a in match.adjustments)


def test_dob_country_and_type_move_the_score(screener: Screener) -> None:
    base = screener.screen("Manuel Noriega")[0].score
    exact = screener.screen("Manuel Noriega", dob="1934-02-11")[0]
    year = screener.screen("Manuel Noriega", dob="1934")[0]
    wrong = screener.screen("Manuel Noriega", dob="1980-01-01")[0]
    assert exact.score > year.score >= base > wrong.score
    assert screener.screen("Manuel Noriega", country="PA")[0].score > base
    assert screener.screen("Manuel Noriega", country="FR")[0].score < base
    as_company = screener.screen("Manuel Noriega", entity_type="entity")[0]
    assert as_company.score < base
    assert {a.factor for a in wrong.adjustments} == {"dob"}


def test_per_list_thresholds() -> None:
    entries = [person("1", "Ali Hassan", list_name="pep"), person("1", "Ali Hassan")]
    screener = Screener(entries, Thresholds(default=80, per_list={"pep": 99.5}))
    matches = screener.screen("Ali Hasan", limit=5)
    by_list = {m.list: m for m in matches}
    assert by_list["test"].is_match
    assert not by_list["pep"].is_match
    assert by_list["pep"].threshold == 99.5
    with pytest.raises(ValidationError):
        Thresholds(default=120)


def test_one_result_per_entry_and_limit(screener: Screener) -> None:
    matches = screener.screen("Zawahiri", limit=3)
    ids = [m.entry_id for m in matches]
    assert len(ids) == len(set(ids)) <= 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "?!?!"}, "name"),
        ({"name": "a" * 400}, "name"),
        ({"name": "Bob\x07"}, "name"),
        ({"name": "Bob", "dob": "11/02/1934"}, "dob"),
        ({"name": "Bob", "country": "Atlantis"}, "country"),
        ({"name": "Bob", "entity_type": "spaceship"}, "entity_type"),
    ],
)
def test_bad_requests_name_the_field(
    screener: Screener, kwargs: dict[str, str], field: str
) -> None:
    name = kwargs.pop("name")
    with pytest.raises(ValidationError) as caught:
        screener.screen(name, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_screen_many_keeps_order(screener: Screener) -> None:
    results = screener.screen_many(
        ["Ivan Petrov", Subject("c1", "Manuel Noriega", dob="1934-02-11", country="PA")]
    )
    assert [r[0].entry_id for r in results] == ["test:3", "test:1"]


def test_blocking_scores_only_a_few_candidates(sdn_screener: Screener) -> None:
    from finmon.aml.screening.names import process

    candidates = sdn_screener._candidates(process("Ayman al Zawahiri"))
    assert 0 < len(candidates) <= sdn_screener.candidates < sdn_screener.variant_count / 100
    assert sdn_screener.screen("Ayman al Zawahiri")[0].entry_id == "ofac_sdn:2676"


def test_rescreen_only_looks_at_added_and_changed_entries() -> None:
    old = [person("1", "Manuel Noriega"), person("2", "Ivan Petrov")]
    new = [
        person("1", "Manuel Noriega"),  # unchanged
        person("2", "Ivan Petrov", "Ivan Smirnov"),  # changed: a new alias
        person("3", "Maria Garcia Lopez"),  # added
    ]
    diff = diff_entries(old, new)
    assert [e.entry_id for e in diff.added] == ["test:3"]
    assert [e.entry_id for e in diff.changed] == ["test:2"]
    customers = [
        Subject("c1", "Manuel Noriega"),  # matches an unchanged entry: not re-reported
        Subject("c2", "Ivan Smirnov"),
        Subject("c3", "Maria Garcia-Lopez"),
        Subject("c4", "Somebody Else"),
    ]
    hits = Screener(new).rescreen(customers, old)
    assert {(h.subject_id, h.match.entry_id, h.change) for h in hits} == {
        ("c2", "test:2", "changed"),
        ("c3", "test:3", "added"),
    }
    assert Screener(new).rescreen(customers, new) == []


def test_eu_and_ftm_lists_screen_together() -> None:
    entries = [
        *load_list(FIXTURES / "eu_sample.xml"),
        *load_list(FIXTURES / "opensanctions_sample.ftm.json"),
    ]
    screener = Screener(entries)
    assert screener.screen("Saddam Hussein", dob="1937-04-28")[0].entry_id == "eu:13"
    assert screener.screen("金英哲")[0].entry_id == "eu:6001"
    pep = screener.screen("Иван Сидоров")[0]
    assert pep.entry_id == "opensanctions:NK-abc123"
    assert pep.is_match
    vessel = screener.screen("Ocean Star", entity_type=EntityType.VESSEL)[0]
    assert vessel.entry_id == "opensanctions:NK-ghi789"
    assert vessel.adjustments == ()


def test_rescreen_compares_only_the_lists_in_the_earlier_version() -> None:
    old_un = [person("1", "Manuel Noriega", list_name="un")]
    current = [
        *old_un,
        person("2", "Ivan Petrov", list_name="un"),  # added to the UN list
        person("9", "Maria Garcia Lopez", list_name="eu"),  # another list: not compared
    ]
    hits = Screener(current).rescreen(
        [Subject("c1", "Ivan Petrov"), Subject("c2", "Maria Garcia Lopez")], old_un
    )
    assert [(h.subject_id, h.match.entry_id) for h in hits] == [("c1", "un:2")]
