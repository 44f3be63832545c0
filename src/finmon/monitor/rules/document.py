"""Reading a rule-set document: YAML -> validated specs, with file positions for every error.

An analyst who saves a broken rule set must be told *where* it is broken, in
the file they edited: every problem carries the rule id, the field, and the
line and column in the YAML text. PyYAML's safe loader is used (no tags, no
object construction); the composed node tree supplies the positions, and a
pass over it refuses anchors/aliases (a small document could otherwise expand
into a huge one) and duplicate keys (which YAML silently resolves to the last).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

import pydantic
import yaml  # no stubs installed (types-PyYAML)
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from finmon.core.errors import Problem, ValidationError

MAX_DOCUMENT = 1_000_000
SLUG = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
Severity = Literal["low", "medium", "high", "critical"]
Mode = Literal["active", "shadow"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")


class RuleSpec(BaseModel):
    """One rule as written in the document (before its expression is checked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[StrictStr, Field(pattern=SLUG)]
    description: Annotated[StrictStr, Field(min_length=1)]
    expression: Annotated[StrictStr, Field(min_length=1)]
    severity: Severity
    score: Annotated[StrictInt, Field(ge=0, le=100)]
    tags: tuple[StrictStr, ...] = ()
    mode: Mode = "active"
    version: Annotated[StrictInt, Field(ge=1)] = 1


class RuleSetSpec(BaseModel):
    """The whole document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[StrictStr, Field(min_length=1)]
    version: int | str
    description: StrictStr = ""
    rules: Annotated[tuple[RuleSpec, ...], Field(min_length=1)]

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        """A whole number or a non-empty text (one message, not one per union member)."""
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise ValueError("must be a whole number or a non-empty text")
        return value


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong with a rule set, located in its text (line and column are 1-based)."""

    rule_id: str | None
    field: str
    line: int
    column: int
    reason: str
    code: str = "invalid"

    @property
    def path(self) -> str:
        if self.rule_id is None:
            return self.field
        return f"rules.{self.rule_id}" + (f".{self.field}" if self.field else "")

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}"
        what = f"rule '{self.rule_id}'" if self.rule_id is not None else "rule set"
        field = f" {self.field}" if self.field else ""
        return f"{where}: {what}{field}: {self.reason}"


class RuleSetError(ValidationError):
    """A rule set that cannot be used; :attr:`rule_problems` says where and why, all of them."""

    def __init__(self, source: str, problems: Sequence[RuleProblem]) -> None:
        listed = "; ".join(str(p) for p in problems)
        super().__init__(
            f"invalid rule set {source}: {listed}",
            code="invalid_ruleset",
            problems=[
                Problem(p.path, f"line {p.line}, column {p.column}: {p.reason}", p.code)
                for p in problems
            ],
        )
        self.rule_problems: tuple[RuleProblem, ...] = tuple(problems)


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed, schema-valid document and the nodes its positions come from."""

    text: str
    spec: RuleSetSpec
    root: yaml.Node

    def rule_node(self, index: int, field: str | None = None) -> yaml.Node:
        """The node of rule ``index`` (or of one of its fields' values)."""
        return _locate(self.root, ("rules", index, *((field,) if field else ())))


def read(text: str, source: str = "<rules>") -> Document:
    """Parse and validate the document's structure (expressions are checked later)."""
    if len(text) > MAX_DOCUMENT:
        raise RuleSetError(source, [RuleProblem(None, "", 1, 1, "the document is too large")])
    root, data = _load(text, source)
    if not isinstance(data, Mapping):
        raise RuleSetError(
            source, [_at(None, "", root, "a rule set is a mapping with name, version and rules")]
        )
    try:
        spec = RuleSetSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = _relevant(exc.errors())
        raise RuleSetError(source, [_schema_problem(e, data, root) for e in errors]) from None
    document = Document(text, spec, root)
    duplicates = _duplicate_ids(document)
    if duplicates:
        raise RuleSetError(source, duplicates)
    return document


def position(node: yaml.Node, text: str, offset: int = 0) -> tuple[int, int]:
    """1-based line and column in ``text`` of character ``offset`` inside scalar ``node``.

    Scalars may be plain, quoted or block (``|`` / ``>``) and span lines; the
    value and the source are walked together, skipping what YAML removed
    (quotes, escapes, indentation, folded line breaks).
    """
    index = node.start_mark.index
    style = getattr(node, "style", None)
    if style in ("|", ">"):
        newline = text.find("\n", index)
        index = len(text) if newline < 0 else newline + 1
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    end = node.end_mark.index
    j = 0
    while j < min(offset, len(value)) and index < end:
        if text[index] == value[j]:
            index, j = index + 1, j + 1
        elif value[j].isspace():
            j += 1
        else:
            index += 1
    if offset == 0 and style not in ("|", ">"):
        while index < end and text[index] in "\"' \t":
            index += 1
    while style in ("|", ">") and index < end and text[index] in " \t":
        index += 1  # the block's indentation before the first character
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _load(text: str, source: str) -> tuple[yaml.Node, Any]:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # control characters: refused before parsing
        index = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        reason = f"YAML error: character {exc.character!r} is not allowed"
        raise RuleSetError(source, [RuleProblem(None, "", line, column, reason, "yaml")]) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise RuleSetError(source, [RuleProblem(None, "", 1, 1, "the document is empty")])
        _check_nodes(root, source)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = f"YAML error: {exc.problem or exc.context}"
        raise RuleSetError(source, [RuleProblem(None, "", line, column, reason, "yaml")]) from None
    except yaml.YAMLError as exc:
        raise RuleSetError(
            source, [RuleProblem(None, "", 1, 1, f"YAML error: {exc}", "yaml")]
        ) from None
    finally:
        loader.dispose()
    return root, data


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse aliases (a node reached twice) and duplicate mapping keys.

    Nodes are visited in document order, so the second visit of a shared node
    is the alias; an alias has no position of its own (it *is* the anchored
    node), so the key it is the value of (or its sequence) locates it.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, yaml.Node]] = [(root, root)]
    while stack:
        node, where = stack.pop()
        if id(node) in seen:
            reason = "anchors and aliases are not allowed in rule sets"
            raise RuleSetError(source, [_at(None, "", where, reason, "yaml")])
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, _ in node.value:
                name = str(key.value)
                if name in keys:
                    raise RuleSetError(
                        source, [_at(None, name, key, f"duplicate key '{name}'", "yaml")]
                    )
                keys.add(name)
            for key, value in reversed(node.value):
                stack.extend(((value, key), (key, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, node) for item in reversed(node.value))


def _relevant(errors: list[Any]) -> list[Any]:
    """Drop "rules is too short" when it only follows from rules that failed themselves."""
    rule_failed = any(len(e["loc"]) > 1 and e["loc"][0] == "rules" for e in errors)
    return [
        e
        for e in errors
        if not (rule_failed and tuple(e["loc"]) == ("rules",) and e["type"] == "too_short")
    ]


def _locate(root: yaml.Node, loc: Sequence[int | str]) -> yaml.Node:
    """The deepest node along ``loc`` (a pydantic error location); keys when values are missing."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                return node
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _key_node(root: yaml.Node, loc: Sequence[int | str]) -> yaml.Node:
    """For "unknown field" errors: the offending key itself."""
    parent = _locate(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key, _ in parent.value:
            if key.value == loc[-1]:
                return cast(yaml.Node, key)
    return parent


def _schema_problem(error: Any, data: Mapping[str, Any], root: yaml.Node) -> RuleProblem:
    loc: tuple[int | str, ...] = tuple(error["loc"])
    rule_id: str | None = None
    field_loc: tuple[int | str, ...] = loc
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rule_id = _rule_label(data, loc[1])
        field_loc = loc[2:]
    field = ".".join(str(p) for p in field_loc)
    if error["type"] == "extra_forbidden":
        node = _key_node(root, loc)
        reason = f"unknown field '{loc[-1]}'"
    else:
        node = _locate(root, loc)
        reason = _reason(error)
    return _at(rule_id, field, node, reason, str(error["type"]))


def _reason(error: Any) -> str:
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"] == "string_pattern_mismatch":
        return "must be a slug: lower-case letters, digits, '_' or '-' (at most 64)"
    return str(error["msg"])


def _rule_label(data: Mapping[str, Any], index: int) -> str:
    """The rule's id when it has a usable one, else its position (``#3``)."""
    rules = data.get("rules")
    if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], Mapping):
        rule_id = rules[index].get("id")
        if isinstance(rule_id, str) and re.match(SLUG, rule_id):
            return rule_id
    return f"#{index + 1}"


def _duplicate_ids(document: Document) -> list[RuleProblem]:
    seen: set[str] = set()
    problems: list[RuleProblem] = []
    for index, rule in enumerate(document.spec.rules):
        if rule.id in seen:
            node = document.rule_node(index, "id")
            problems.append(_at(rule.id, "id", node, f"duplicate rule id '{rule.id}'", "duplicate"))
        seen.add(rule.id)
    return problems


def _at(
    rule_id: str | None, field: str, node: yaml.Node, reason: str, code: str = "invalid"
) -> RuleProblem:
    mark = node.start_mark
    return RuleProblem(rule_id, field, mark.line + 1, mark.column + 1, reason, code)


__all__ = [
    "SEVERITIES",
    "Document",
    "Mode",
    "RuleProblem",
    "RuleSetError",
    "RuleSetSpec",
    "RuleSpec",
    "Severity",
    "position",
    "read",
]
