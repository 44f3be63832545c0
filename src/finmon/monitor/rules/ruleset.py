"""A compiled rule set: evaluate it on one transaction's values, or on a whole frame.

Compilation is all-or-nothing: every rule's expression is checked and every
problem reported (rule id, line, column, reason) before anything runs, so a
rule set either loads completely or not at all. At evaluation a rule that
fails on its input (a division by zero, a missing value compared with a
number) simply does not hit; the failure is counted per rule and kind, never
raised — one bad value must not stop the engine answering.

Shadow rules are evaluated and returned like active ones, flagged by ``mode``:
the engine scores only active hits and logs shadow ones, which is how a new
rule is tried on live traffic before it can move a decision.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from finmon.core.errors import ValidationError
from finmon.monitor.rules.check import Checked, ExpressionError, check
from finmon.monitor.rules.compile import Predicate, to_function, to_polars
from finmon.monitor.rules.document import (
    Document,
    Mode,
    RuleProblem,
    RuleSetError,
    Severity,
    position,
    read,
)
from finmon.monitor.rules.names import Kind, Names, known_names

Engine = Literal["polars", "python"]


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired on a transaction (``mode`` says whether it counts)."""

    rule_id: str
    description: str
    severity: Severity
    score: int
    tags: tuple[str, ...]
    mode: Mode
    version: int

    @property
    def active(self) -> bool:
        return self.mode == "active"


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule."""

    id: str
    description: str
    expression: str
    severity: Severity
    score: int
    tags: tuple[str, ...]
    mode: Mode
    version: int
    names: frozenset[str]
    line: int
    column: int
    hit: RuleHit = field(repr=False, compare=False)
    predicate: Predicate = field(repr=False, compare=False)
    checked: Checked = field(repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.mode == "active"

    def signature(self) -> tuple[Any, ...]:
        """What makes two versions of a rule the same rule (for diffs)."""
        return (
            self.description,
            self.expression.strip(),
            self.severity,
            self.score,
            self.tags,
            self.mode,
            self.version,
        )


class RuleSet:
    """A validated, compiled rule set."""

    def __init__(
        self,
        name: str,
        version: int | str,
        description: str,
        rules: tuple[Rule, ...],
        text: str,
    ) -> None:
        self.name = name
        self.version = version
        self.description = description
        self.rules = rules
        self.text = text
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self._by_id = {rule.id: rule for rule in rules}
        self._plan = tuple((rule.predicate, rule.hit, rule.id) for rule in rules)
        self._errors: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()
        self._polars: dict[str, pl.Expr] | None = None

    # -- construction ----------------------------------------------------------

    @classmethod
    def from_yaml(
        cls, text: str, *, names: Names | None = None, source: str = "<rules>"
    ) -> RuleSet:
        """Parse, validate and compile YAML; :class:`RuleSetError` lists every problem."""
        document = read(text, source)
        kinds = known_names(names)
        rules: list[Rule] = []
        problems: list[RuleProblem] = []
        for index, spec in enumerate(document.spec.rules):
            node = document.rule_node(index, "expression")
            try:
                checked = check(spec.expression, kinds)
            except ExpressionError as exc:
                line, column = position(node, text, exc.offset)
                problems.append(
                    RuleProblem(spec.id, "expression", line, column, exc.reason, exc.code)
                )
                continue
            line, column = position(document.rule_node(index), text)
            hit = RuleHit(
                spec.id, spec.description, spec.severity, spec.score, spec.tags, spec.mode,
                spec.version,
            )  # fmt: skip
            rules.append(
                Rule(
                    id=spec.id,
                    description=spec.description,
                    expression=spec.expression,
                    severity=spec.severity,
                    score=spec.score,
                    tags=spec.tags,
                    mode=spec.mode,
                    version=spec.version,
                    names=checked.names,
                    line=line,
                    column=column,
                    hit=hit,
                    predicate=to_function(checked, spec.id),
                    checked=checked,
                )
            )
        if problems:
            raise RuleSetError(source, problems)
        head = document.spec
        return cls(head.name, head.version, head.description, tuple(rules), text)

    @classmethod
    def from_file(cls, path: Path, *, names: Names | None = None) -> RuleSet:
        return cls.from_yaml(path.read_text(encoding="utf-8"), names=names, source=str(path))

    # -- reading ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"RuleSet({self.name!r}, version={self.version!r}, rules={len(self.rules)})"

    def rule(self, rule_id: str) -> Rule:
        try:
            return self._by_id[rule_id]
        except KeyError:
            raise ValidationError(f"no rule '{rule_id}' in {self.name}", field="rule_id") from None

    @property
    def names(self) -> frozenset[str]:
        """Every name some rule reads."""
        return frozenset().union(*(rule.names for rule in self.rules))

    @property
    def document(self) -> Document:
        return read(self.text)

    # -- evaluation ------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any]) -> list[RuleHit]:
        """The rules that hit, active and shadow, in rule-set order.

        A rule that raises on these values (division by zero, None where a
        number is needed, a missing name) does not hit; see :meth:`error_counts`.
        """
        hits: list[RuleHit] = []
        for predicate, hit, rule_id in self._plan:
            try:
                if predicate(values):
                    hits.append(hit)
            except Exception as exc:  # a bad value must never stop scoring
                self._count(rule_id, exc)
        return hits

    def error_counts(self) -> dict[str, dict[str, int]]:
        """Evaluation failures so far: rule id -> exception kind -> count."""
        with self._lock:
            return {rule_id: dict(counts) for rule_id, counts in self._errors.items()}

    def _count(self, rule_id: str, exc: Exception) -> None:
        with self._lock:
            self._errors.setdefault(rule_id, Counter())[type(exc).__name__] += 1

    def evaluate_frame(
        self,
        frame: pl.DataFrame,
        *,
        engine: Engine = "polars",
        allow_missing: bool = False,
    ) -> dict[str, np.ndarray]:
        """Rule id -> boolean hit per row, for backtests.

        ``engine="polars"`` evaluates each rule as one vectorised expression;
        ``"python"`` runs :meth:`evaluate`'s functions row by row (slow, exact).
        A column a rule reads that the frame lacks is an error unless
        ``allow_missing`` (then it reads as missing and such rules do not hit).
        """
        frame = self._prepare(frame, allow_missing)
        if engine == "python":
            return self._evaluate_rows(frame)
        expressions = self._polars_expressions()
        if not self.rules:
            return {}
        out = frame.select([expressions[rule.id].alias(rule.id) for rule in self.rules])
        return {rule.id: out.get_column(rule.id).to_numpy().astype(bool) for rule in self.rules}

    def _evaluate_rows(self, frame: pl.DataFrame) -> dict[str, np.ndarray]:
        result = {rule.id: np.zeros(frame.height, dtype=bool) for rule in self.rules}
        for i, row in enumerate(frame.iter_rows(named=True)):
            for hit in self.evaluate(row):
                result[hit.rule_id][i] = True
        return result

    def _polars_expressions(self) -> dict[str, pl.Expr]:
        if self._polars is None:
            self._polars = {rule.id: to_polars(rule.checked) for rule in self.rules}
        return self._polars

    def _prepare(self, frame: pl.DataFrame, allow_missing: bool) -> pl.DataFrame:
        """Check the frame has every column rules read, of a usable type."""
        kinds = self._name_kinds()
        missing = sorted(name for name in kinds if name not in frame.columns)
        if missing and not allow_missing:
            raise ValidationError(
                f"the frame lacks columns the rules read: {', '.join(missing)}", field="frame"
            )
        wrong = [
            f"{name} ({frame.schema[name]})"
            for name, kind in kinds.items()
            if name in frame.columns and not _usable(frame.schema[name], kind)
        ]
        if wrong:
            raise ValidationError(
                f"columns of the wrong type for the rules: {', '.join(wrong)}", field="frame"
            )
        if missing:
            frame = frame.with_columns(
                pl.lit(None, dtype=pl.String if kinds[n] == "str" else pl.Float64).alias(n)
                for n in missing
            )
        return frame

    def _name_kinds(self) -> dict[str, Kind]:
        kinds: dict[str, Kind] = {}
        for rule in self.rules:
            for name in rule.names:
                kinds[name] = rule.checked.name_kinds[name]
        return kinds


def _usable(dtype: pl.DataType, kind: Kind) -> bool:
    if dtype == pl.Null:
        return True
    if kind == "str":
        return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    return dtype.is_numeric() or dtype == pl.Boolean


def default_ruleset_text() -> str:
    """The shipped rule set's YAML text."""
    return resources.files("finmon.monitor.rules").joinpath("default.yaml").read_text("utf-8")


def default_ruleset(*, names: Names | None = None) -> RuleSet:
    """The shipped rule set (see ``default.yaml``), compiled."""
    return RuleSet.from_yaml(default_ruleset_text(), names=names, source="default.yaml")


__all__ = ["Engine", "Rule", "RuleHit", "RuleSet", "default_ruleset", "default_ruleset_text"]
