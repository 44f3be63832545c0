"""Rule expressions: every allow-list refusal, located in the YAML text; good ones evaluated."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pytest

from finmon.core.errors import ValidationError
from finmon.monitor.rules import RuleSet, RuleSetError

# The expression sits in a literal block: its first character is at line 10, column 7.
LINE, COLUMN = 10, 7


def block(expression: str, mode: str = "active") -> str:
    body = "\n".join("      " + line for line in expression.split("\n"))
    return (
        "name: test\n"
        "version: 1\n"
        "rules:\n"
        "  - id: r1\n"
        "    description: a rule under test\n"
        "    severity: low\n"
        "    score: 10\n"
        f"    mode: {mode}\n"
        "    expression: |\n"
        f"{body}\n"
    )


def refusal(expression: str) -> RuleSetError:
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(block(expression))
    return info.value


@pytest.mark.parametrize(
    ("expression", "offset", "reason"),
    [
        ("amount.__class__ == 1", 0, "attribute access ('.') is not allowed"),
        ("amount > 1 and channel.__class__ == 'x'", 15, "attribute access"),
        ("().__class__.__bases__", 0, "attribute access"),
        ("__import__('os')", 0, "calls are limited to abs, min, max, round, len; '__import__'"),
        ("open('/etc/passwd') == 1", 0, "calls are limited to"),
        ("exec('1') == 1", 0, "'exec' is not one"),
        ("getattr(amount, 'real') > 1", 0, "'getattr' is not one"),
        ("sum((amount, 1)) > 3", 0, "'sum' is not one"),
        ("(lambda: 1)() == 1", 0, "calls are limited to"),
        ("amount > 1 or (lambda: 1)", 15, "lambda is not allowed"),
        ("amount > 1 and [a for a in (1, 2)]", 15, "comprehensions are not allowed"),
        ("amount > 1 and {a for a in (1,)}", 15, "comprehensions are not allowed"),
        ("amount > 1 and (a for a in (1,))", 15, "comprehensions are not allowed"),
        ("amount > 1 and {a: 1 for a in (1,)}", 15, "comprehensions are not allowed"),
        ("acct_cnt_1h > 3", 0, "unknown name 'acct_cnt_1h' (did you mean 'acct_count_1h'?)"),
        ("amount > 1 and bogus", 15, "unknown name 'bogus'"),
        ("amount > 0 and true", 15, "unknown name 'true' (write True)"),
        ("amount_major[0] > 1", 0, "subscripts ('[...]') are not allowed"),
        ("(x := amount) > 1", 1, "assignment (':=') is not allowed"),
        ('f"{amount}" == "1"', 0, "f-strings are not allowed"),
        ('{"a": 1} == amount', 0, "dict literals are not allowed"),
        ("(amount, 1) == 1", 0, "a literal list is only allowed on the right of 'in'"),
        ("amount ** 2 > 1", 0, "operators are limited to + - * / % //"),
        ("amount << 2 > 1", 0, "operators are limited to"),
        ("~amount > 1", 0, "operator '~' is not allowed"),
        ("amount is None", 10, "'is' is not allowed"),
        ("channel > 5", 10, "ordering comparisons (< <= > >=) need numbers"),
        ("channel * 1000000 == 'x'", 0, "'*' needs numbers, not text"),
        ("-channel == 'x'", 0, "unary minus needs a number"),
        ("channel == 5", 11, "compares text with a number"),
        ("amount in amount_major", 10, "'in' needs a literal tuple, list or set"),
        ("amount in (amount_major, 1)", 11, "the values after 'in' must be constants"),
        ("channel in ('atm', 3)", 19, "a number in a list compared with text"),
        ("channel in ('atm',) == True", 0, "'in' cannot be chained"),
        ("_secret > 1", 0, "names starting with '_' are not allowed"),
        ("abs > 1", 0, "'abs' is a function"),
        ("round(amount, amount) > 1", 14, "round()'s digits must be a whole number"),
        ("round(amount, 99) > 1", 14, "round()'s digits"),
        ("min(amount) > 1", 0, "min() takes at least 2 arguments, not 1"),
        ("abs(x=amount) > 1", 0, "abs() takes no keyword arguments"),
        ("len(amount) > 1", 0, "len() needs text"),
        ("max(channel, 1) > 1", 4, "max() needs numbers, not text"),
        ("amount > 1j", 9, "constants are limited to numbers, text, True, False and None"),
        ("amount > ...", 9, "constants are limited to"),
        ("'text'", 0, "a rule must be a condition, not text"),
        ("None", 0, "a rule must be a condition, not None"),
        ("channel if amount > 1 else 2", 0, "both branches must be of one kind"),
        ("amount > 1 and", 14, "syntax error"),
        ("import os", 0, "syntax error"),
        ("amount >", 8, "syntax error"),
    ],
)
def test_refusals_name_rule_line_column_and_reason(
    expression: str, offset: int, reason: str
) -> None:
    error = refusal(expression)
    [problem] = error.rule_problems
    assert problem.rule_id == "r1"
    assert problem.field == "expression"
    assert reason in problem.reason
    assert (problem.line, problem.column) == (LINE, COLUMN + offset), problem
    assert isinstance(error, ValidationError)
    assert f"line {LINE}, column {COLUMN + offset}: rule 'r1' expression" in error.message
    assert error.problems[0].field == "rules.r1.expression"


def test_a_second_line_of_a_block_expression_is_located() -> None:
    error = refusal("amount > 1\n  and acct_cnt_1h > 3")
    [problem] = error.rule_problems
    assert (problem.line, problem.column) == (LINE + 1, COLUMN + 6)
    assert "unknown name 'acct_cnt_1h'" in problem.reason


def test_a_syntax_error_on_a_later_line_is_located() -> None:
    [problem] = refusal("amount > 1 and\n  (acct_count_1h >\n  )").rule_problems
    assert problem.reason.startswith("syntax error")
    assert problem.line >= LINE + 1


@pytest.mark.parametrize(
    "line",
    [
        "    expression: amount > 1 and bogus > 2",
        '    expression: "amount > 1 and bogus > 2"',
        "    expression: 'channel == ''atm'' and bogus > 2'",
        '    expression: "channel == \\"atm\\" and bogus > 2"',
        "    expression: \"merchant_country == 'CÔ' and bogus > 2\"",
    ],
)
def test_positions_in_plain_and_quoted_scalars(line: str) -> None:
    text = (
        "name: test\nversion: 1\nrules:\n  - id: r1\n    description: d\n"
        f"    severity: low\n    score: 10\n{line}\n"
    )
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(text)
    [problem] = info.value.rule_problems
    assert "unknown name 'bogus'" in problem.reason
    assert (problem.line, problem.column) == (8, line.index("bogus") + 1)


def test_positions_in_a_folded_scalar() -> None:
    text = (
        "name: test\nversion: 1\nrules:\n  - id: r1\n    description: d\n"
        "    severity: low\n    score: 10\n    expression: >-\n"
        "      amount > 1\n      and bogus > 2\n"
    )
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(text)
    [problem] = info.value.rule_problems
    assert (problem.line, problem.column) == (10, 11)


def test_every_bad_rule_is_reported_at_once() -> None:
    text = block("amount > 1").replace("  - id: r1", "  - id: r0\n    description: x\n"
                                       "    severity: low\n    score: 1\n"
                                       "    expression: bogus > 1\n  - id: r1")  # fmt: skip
    text += (
        "  - id: r2\n    description: d\n    severity: low\n    score: 1\n"
        "    expression: amount.real > 1\n"
    )
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_yaml(text)
    assert [p.rule_id for p in info.value.rule_problems] == ["r0", "r2"]


def test_too_long_and_too_deep_expressions_are_refused() -> None:
    assert "longer than" in refusal("amount > 1 or " * 400 + "amount > 2").rule_problems[0].reason
    deep = "(" * 500 + "amount" + ")" * 500 + " > 1"
    assert refusal(deep).rule_problems[0].code in ("too_long", "syntax_error")
    wide = " + ".join(["amount"] * 400) + " > 1"
    assert refusal(wide).rule_problems[0].code == "too_long"
    many = "1<" * 1200 + "amount"
    assert "more than 1000 parts" in refusal(many).rule_problems[0].reason
    for deeper in ("-" * 900 + "amount > 1", "not " * 900 + "amount"):
        assert "nests deeper than 100 levels" in refusal(deeper).rule_problems[0].reason


def test_names_are_a_parameter() -> None:
    ruleset = RuleSet.from_yaml(block("my_signal > 2"), names=["my_signal"])
    assert [h.rule_id for h in ruleset.evaluate({"my_signal": 3.0})] == ["r1"]
    with pytest.raises(RuleSetError, match="unknown name 'acct_count_1h'"):
        RuleSet.from_yaml(block("acct_count_1h > 2"), names=["my_signal"])
    typed = RuleSet.from_yaml(block("tier == 'gold'"), names={"tier": "str"})
    assert typed.evaluate({"tier": "gold"})


VALUES: dict[str, Any] = {
    "amount": 250_000.0,
    "amount_major": 2_500.0,
    "channel": "wire",
    "direction": "debit",
    "merchant_country": None,
    "acct_count_1h": 7.0,
    "acct_count_30d": 30.0,
    "acct_sum_24h": 0.0,
    "acct_first_seen_device": 1.0,
    "acct_first_seen_ip": 0.0,
    "is_round_amount": 1.0,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("amount_major >= 2500", True),
        ("amount_major > 2500", False),
        ("1000 < amount_major <= 2500", True),
        ("1000 < amount_major < 2000", False),
        ("amount == 100 * amount_major", True),
        ("amount_major % 1000 == 500", True),
        ("-amount_major % 1000 == 500", True),
        ("amount_major // 1000 == 2", True),
        ("amount_major / 1000 == 2.5", True),
        ("abs(-amount_major) == 2500", True),
        ("max(acct_count_1h, 10) == 10 and min(acct_count_1h, 10, 3) == 3", True),
        ("round(amount_major / 1000) == 2", True),
        ("round(amount_major / 1000, 1) == 2.5", True),
        ("len(channel) == 4", True),
        ("channel in ('wire', 'transfer')", True),
        ("channel not in ['wire', 'transfer']", False),
        ("channel in {'atm'}", False),
        ("channel in ()", False),
        ("merchant_country == None", True),
        ("merchant_country != 'US'", True),
        ("merchant_country in ('US', None)", True),
        ("merchant_country not in ('US', 'GB')", True),
        ("merchant_country == 'US'", False),
        ("acct_first_seen_device and not acct_first_seen_ip", True),
        ("acct_first_seen_device or acct_first_seen_ip", True),
        ("(acct_first_seen_device or acct_first_seen_ip) + is_round_amount == 2", True),
        ("(amount_major > 1) + (acct_count_1h > 5) + (channel == 'atm') >= 2", True),
        ("(10 if channel == 'wire' else 0) + acct_count_1h > 15", True),
        ("acct_count_1h >= 20 * acct_count_30d / 720", True),
        ("direction == 'debit' and is_round_amount == True", True),
        ("not channel", False),
        ("acct_sum_24h", False),
        ("acct_count_1h", True),
        ("amount_major > 1_000", True),
    ],
)
def test_good_expressions_evaluate_alike_in_python_and_polars(
    expression: str, expected: bool
) -> None:
    ruleset = RuleSet.from_yaml(block(expression))
    assert bool(ruleset.evaluate(VALUES)) is expected
    assert ruleset.error_counts() == {}
    frame = pl.DataFrame([VALUES], schema_overrides={"merchant_country": pl.String})
    assert bool(ruleset.evaluate_frame(frame)["r1"][0]) is expected
    assert bool(ruleset.evaluate_frame(frame, engine="python")["r1"][0]) is expected


@pytest.mark.parametrize(
    ("expression", "values", "error"),
    [
        ("amount_major / acct_sum_24h", {"amount_major": 1, "acct_sum_24h": 0}, "ZeroDivision"),
        ("amount_major % acct_sum_24h", {"amount_major": 1, "acct_sum_24h": 0}, "ZeroDivision"),
        ("amount_major > 1", {"amount_major": None}, "TypeError"),
        ("amount_major > 1", {}, "KeyError"),
        ("len(channel) > 1", {"channel": None}, "TypeError"),
    ],
)  # fmt: skip
def test_evaluation_failures_do_not_hit_and_are_counted(
    expression: str, values: dict[str, Any], error: str
) -> None:
    ruleset = RuleSet.from_yaml(block(expression))
    assert ruleset.evaluate(values) == []
    assert ruleset.evaluate(values) == []
    [(kind, count)] = ruleset.error_counts()["r1"].items()
    assert kind.startswith(error)
    assert count == 2


def test_division_by_zero_and_nulls_do_not_hit_in_frames() -> None:
    # a missing part is "unknown" (three-valued logic): the other side of "or" can still hit
    ruleset = RuleSet.from_yaml(block("amount_major / acct_sum_24h > 1 or amount_major < 0"))
    frame = pl.DataFrame(
        {"amount_major": [5.0, 5.0, None, -1.0], "acct_sum_24h": [0.0, 1.0, 1.0, 0.0]}
    )
    assert ruleset.evaluate_frame(frame)["r1"].tolist() == [False, True, False, True]


@pytest.mark.parametrize(
    "expression",
    [
        "acct_sum_24h > 0 and amount_major / acct_sum_24h > 1",
        "acct_sum_24h == 0 or amount_major / acct_sum_24h > 1",
        "(amount_major / acct_sum_24h if acct_sum_24h else 0) > 1",
    ],
)
def test_guarded_divisions_agree_in_python_and_polars(expression: str) -> None:
    ruleset = RuleSet.from_yaml(block(expression))
    frame = pl.DataFrame({"amount_major": [5.0, 5.0, 0.5, 3.0], "acct_sum_24h": [0.0, 1.0, 1.0, 0]})
    fast = ruleset.evaluate_frame(frame)["r1"].tolist()
    assert fast == ruleset.evaluate_frame(frame, engine="python")["r1"].tolist()
    assert ruleset.error_counts() == {}


def test_hits_carry_the_rule_and_its_mode() -> None:
    ruleset = RuleSet.from_yaml(block("amount_major > 1", mode="shadow"))
    [hit] = ruleset.evaluate({"amount_major": 2.0})
    assert (hit.rule_id, hit.mode, hit.active, hit.score, hit.severity) == (
        "r1", "shadow", False, 10, "low",
    )  # fmt: skip
    assert hit.description == "a rule under test"
    assert ruleset.rule("r1").line == 4
    with pytest.raises(ValidationError, match="no rule 'nope'"):
        ruleset.rule("nope")


def test_compiled_code_has_no_builtins() -> None:
    ruleset = RuleSet.from_yaml(block("abs(amount) > 1"))
    predicate = ruleset.rule("r1").predicate
    assert predicate.__globals__["__builtins__"] == {}  # type: ignore[attr-defined]
    assert re.fullmatch(r"<rule r1>", predicate.__code__.co_filename)  # type: ignore[attr-defined]


def test_frames_must_have_the_columns_rules_read() -> None:
    ruleset = RuleSet.from_yaml(block("amount_major > 1 and channel == 'atm'"))
    frame = pl.DataFrame({"amount_major": [2.0]})
    with pytest.raises(ValidationError, match="lacks columns the rules read: channel"):
        ruleset.evaluate_frame(frame)
    assert ruleset.evaluate_frame(frame, allow_missing=True)["r1"].tolist() == [False]
    with pytest.raises(ValidationError, match="wrong type"):
        ruleset.evaluate_frame(pl.DataFrame({"amount_major": ["2"], "channel": ["atm"]}))
