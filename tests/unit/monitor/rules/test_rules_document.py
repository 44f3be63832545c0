"""Rule-set documents: schema errors name the rule, the field, the line and the column."""

from __future__ import annotations

import pytest

from finmon.monitor.rules import RuleSet, RuleSetError

GOOD_RULE = (
    "  - id: big\n"
    "    description: big payment\n"
    "    expression: amount_major > 1000\n"
    "    severity: high\n"
    "    score: 30\n"
)


def doc(rules: str = GOOD_RULE, head: str = "name: test\nversion: 3\n") -> str:
    return f"{head}rules:\n{rules}"


def problems(text: str) -> list[tuple[str | None, str, int, int, str]]:
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(text)
    return [(p.rule_id, p.field, p.line, p.column, p.reason) for p in info.value.rule_problems]


def test_a_good_document_loads_with_defaults() -> None:
    ruleset = RuleSet.from_yaml(doc())
    assert (ruleset.name, ruleset.version, ruleset.description) == ("test", 3, "")
    [rule] = ruleset.rules
    assert (rule.mode, rule.version, rule.tags) == ("active", 1, ())
    assert len(ruleset.sha256) == 64
    assert RuleSet.from_yaml(doc(head="name: t\nversion: '2026-01'\n")).version == "2026-01"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("severity: high", "severity: urgent", ("big", "severity", 7, 15, "Input should be")),
        ("score: 30", "score: 150", ("big", "score", 8, 12, "less than or equal to 100")),
        ("score: 30", "score: -1", ("big", "score", 8, 12, "greater than or equal to 0")),
        ("score: 30", "score: '30'", ("big", "score", 8, 12, "valid integer")),
        ("score: 30", "score: 12.5", ("big", "score", 8, 12, "valid integer")),
        ("score: 30", "score: true", ("big", "score", 8, 12, "valid integer")),
        ("    score: 30\n", "", ("big", "score", 4, 5, "is required")),
        ("id: big", "id: Big Rule", ("#1", "id", 4, 9, "must be a slug")),
        ("big payment", "''", ("big", "description", 5, 18, "at least 1")),
        ("amount_major > 1000", "''", ("big", "expression", 6, 17, "at least 1")),
        ("amount_major > 1000", "5", ("big", "expression", 6, 17, "valid string")),
    ],
)  # fmt: skip
def test_schema_errors_are_located(old: str, new: str, expected: tuple[object, ...]) -> None:
    [found] = problems(doc(GOOD_RULE.replace(old, new)))
    assert found[:4] == expected[:4]
    assert str(expected[4]) in found[4]


def test_a_misspelt_field_is_unknown_and_the_real_one_missing() -> None:
    found = problems(doc(GOOD_RULE.replace("severity: high", "severty: high")))
    assert ("big", "severty", 7, 5, "unknown field 'severty'") in found
    assert ("big", "severity", 4, 5, "is required") in found


def test_mode_and_tags_are_checked() -> None:
    found = problems(doc(GOOD_RULE + "    mode: live\n    tags: notalist\n"))
    assert {(f[0], f[1]) for f in found} == {("big", "mode"), ("big", "tags")}


def test_every_problem_of_every_rule_is_listed() -> None:
    second = GOOD_RULE.replace("id: big", "id: other").replace("score: 30", "score: 500")
    first = GOOD_RULE.replace("severity: high", "severity: extreme")
    found = problems(doc(first + second))
    assert [(f[0], f[1]) for f in found] == [("big", "severity"), ("other", "score")]


def test_duplicate_rule_ids_are_refused() -> None:
    [found] = problems(doc(GOOD_RULE + GOOD_RULE))
    assert found[:4] == ("big", "id", 9, 9)
    assert "duplicate rule id 'big'" in found[4]


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (doc(head="version: 1\n"), "name", "is required"),
        (doc(head="name: t\n"), "version", "is required"),
        (doc(head="name: t\nversion: true\n"), "version", "whole number or a non-empty text"),
        (doc(head="name: t\nversion: 1\nowner: me\n"), "owner", "unknown field 'owner'"),
        ("name: t\nversion: 1\nrules: []\n", "rules", "at least 1"),
        ("name: t\nversion: 1\nrules: {}\n", "rules", ""),
    ],
)
def test_document_level_errors(text: str, field: str, reason: str) -> None:
    [found] = problems(text)
    assert found[0] is None
    assert found[1] == field
    assert reason in found[4]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "the document is empty"),
        ("- a\n- b\n", 1, "a rule set is a mapping"),
        ("name: t\nversion: [1\n", 3, "YAML error"),
        ("name: t\n  bad: indent\n", 2, "YAML error"),
        ("name: t\nname: u\nversion: 1\n", 2, "duplicate key 'name'"),
        ("name: &n t\nversion: 1\ndescription: *n\n", 3, "anchors and aliases are not allowed"),
        ("name: !!python/object:os.system t\nversion: 1\n", 1, "YAML error"),
    ],
)
def test_yaml_errors_are_located(text: str, line: int, reason: str) -> None:
    [found] = problems(text)
    assert found[2] == line
    assert reason in found[4]


def test_an_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    [found] = problems(bomb)
    assert "anchors and aliases" in found[4]


def test_error_message_names_the_source_and_problems() -> None:
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(doc(GOOD_RULE.replace("score: 30", "score: 500")), source="mine.yaml")
    error = info.value
    assert error.message.startswith("invalid rule set mine.yaml: line 8, column 12: rule 'big'")
    assert error.code == "invalid_ruleset"
    assert error.field == "rules.big.score"
    assert error.to_dict()["problems"][0]["field"] == "rules.big.score"  # type: ignore[index]


def test_control_characters_are_refused_with_their_position() -> None:
    from finmon.monitor.rules import RuleSet, RuleSetError

    text = "name: x\nversion: 1\nrules:\n  - id: a\x07b\n"
    with pytest.raises(RuleSetError) as caught:
        RuleSet.from_yaml(text)
    problem = caught.value.rule_problems[0]
    assert (problem.line, problem.column) == (4, 10)
    assert "not allowed" in problem.reason
