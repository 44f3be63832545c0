"""Parsing a rule expression and checking it against the allow-list.

A rule set is data written by analysts and changed at run time, so its
expressions are treated as untrusted input: Python's own parser reads them
(``ast``, mode ``eval``), and a checker walks the tree and accepts only the
node types below, refusing everything else *before* anything is compiled.
Nothing that reaches objects (attributes, subscripts), defines code (lambda,
comprehensions), binds names (walrus) or calls arbitrary functions can pass.

Allowed:

* boolean logic ``and``, ``or``, ``not``; conditional ``a if test else b``;
* comparisons ``== != < <= > >=`` (chains allowed) and ``in`` / ``not in`` with
  a literal tuple, list or set of constants on the right;
* arithmetic ``+ - * / % //`` and unary ``-`` / ``+`` on numbers;
* constants: numbers, text, ``True``/``False``, ``None``;
* names from the catalogue (features and transaction fields);
* calls to ``abs(x)``, ``min(a, b, ...)``, ``max(a, b, ...)``, ``round(x[, n])``
  and ``len(text)``, positional arguments only.

The checker also infers a kind (number, text, boolean, None) for every node, so
``channel > 5`` or ``merchant_country * 1000000`` (which could build a huge
string) are refused as type errors instead of failing, or worse, at run time.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from finmon.monitor.rules.names import Kind

MAX_LENGTH = 4_000
MAX_NODES = 1_000
MAX_DEPTH = (
    100  # far beyond any real rule; keeps every later tree walk off Python's recursion limit
)

#: name -> (minimum, maximum) positional arguments; None: unbounded.
FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "round": (1, 2),
    "len": (1, 1),
}

_ARITHMETIC: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
    ast.FloorDiv: "//",
}
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_EQUALITY = (ast.Eq, ast.NotEq)
_MEMBERSHIP = (ast.In, ast.NotIn)
_NUMERIC: frozenset[Kind] = frozenset({"num", "bool"})
_KIND_WORDS: Mapping[str, str] = {
    "num": "a number",
    "str": "text",
    "bool": "a condition",
    "none": "None",
}

_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "subscripts ('[...]') are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.NamedExpr: "assignment (':=') is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Dict: "dict literals are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}


class ExpressionError(Exception):
    """A refused expression: the reason and where (character offset into the expression)."""

    def __init__(self, reason: str, offset: int, code: str = "invalid_expression") -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.code = code


@dataclass(frozen=True, slots=True)
class Checked:
    """A parsed expression that passed the checker, with the names it reads and its kinds."""

    source: str
    tree: ast.expr
    names: frozenset[str]
    kinds: Mapping[int, Kind]  # id(node) -> inferred kind, for the compilers
    name_kinds: Mapping[str, Kind]

    def kind(self, node: ast.AST) -> Kind:
        return self.kinds[id(node)]


def parse(expression: str) -> ast.expr:
    """The expression's tree; multi-line text is accepted (it is parenthesised)."""
    if not expression.strip():
        raise ExpressionError("the expression is empty", 0, "syntax_error")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_LENGTH} characters", 0, "too_long"
        )
    source = "(" + expression + "\n)"
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        offset = _syntax_offset(exc, expression)
        raise ExpressionError(f"syntax error: {exc.msg}", offset, "syntax_error") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply", 0, "too_long") from None
    return tree.body


def check(expression: str, names: Mapping[str, Kind]) -> Checked:
    """Parse and check ``expression``; raise :class:`ExpressionError` on the first refusal."""
    tree = parse(expression)
    checker = _Checker(expression, names)
    kind = checker.visit(tree)
    if kind not in _NUMERIC:
        raise ExpressionError(
            f"a rule must be a condition, not {_KIND_WORDS[kind]}",
            offset_of(tree, expression),
            "not_a_condition",
        )
    return Checked(expression, tree, frozenset(checker.used), dict(checker.kinds), dict(names))


def offset_of(node: ast.AST, expression: str) -> int:
    """Character offset into ``expression`` of a node (ast gives UTF-8 byte columns)."""
    lineno = int(getattr(node, "lineno", 1))
    col = int(getattr(node, "col_offset", 0))
    source_lines = ("(" + expression + "\n)").split("\n")
    line_text = source_lines[min(lineno, len(source_lines)) - 1]
    chars = len(line_text.encode("utf-8")[:col].decode("utf-8", "ignore"))
    return _to_offset(expression, lineno, chars)


def _syntax_offset(exc: SyntaxError, expression: str) -> int:
    """Character offset of a syntax error (SyntaxError columns are 1-based characters)."""
    lineno = exc.lineno or 1
    chars = max((exc.offset or 1) - 1, 0)
    return _to_offset(expression, lineno, chars)


def _to_offset(expression: str, lineno: int, chars: int) -> int:
    lines = expression.split("\n")
    if lineno > len(lines):  # the closing parenthesis we added: point at the end of the text
        return len(expression.rstrip())
    if lineno == 1:
        chars -= 1  # the "(" the parser saw first
    before = sum(len(line) + 1 for line in lines[: lineno - 1])
    return max(0, min(before + chars, len(expression)))


class _Checker:
    """Walks a tree, refusing what is not allowed and inferring each node's kind."""

    def __init__(self, expression: str, names: Mapping[str, Kind]) -> None:
        self.expression = expression
        self.names = names
        self.used: set[str] = set()
        self.kinds: dict[int, Kind] = {}
        self.count = 0
        self.depth = 0

    def fail(self, node: ast.AST, reason: str, code: str = "not_allowed") -> ExpressionError:
        return ExpressionError(reason, offset_of(node, self.expression), code)

    def visit(self, node: ast.expr) -> Kind:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"the expression has more than {MAX_NODES} parts", "too_long")
        if self.depth >= MAX_DEPTH:
            raise self.fail(
                node, f"the expression nests deeper than {MAX_DEPTH} levels", "too_long"
            )
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            reason = _REFUSED.get(type(node), f"'{type(node).__name__}' is not allowed")
            raise self.fail(node, reason)
        self.depth += 1
        try:
            kind: Kind = method(node)
        finally:
            self.depth -= 1
        self.kinds[id(node)] = kind
        return kind

    def visit_Constant(self, node: ast.Constant) -> Kind:  # noqa: N802
        value = node.value
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int | float):
            return "num"
        if isinstance(value, str):
            return "str"
        raise self.fail(node, "constants are limited to numbers, text, True, False and None")

    def visit_Name(self, node: ast.Name) -> Kind:  # noqa: N802
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed ('{name}')")
        if name in FUNCTIONS:
            raise self.fail(node, f"'{name}' is a function; call it, e.g. {name}(...)")
        kind = self.names.get(name)
        if kind is None:
            raise self.fail(node, _unknown(name, self.names), "unknown_name")
        self.used.add(name)
        return kind

    def visit_BoolOp(self, node: ast.BoolOp) -> Kind:  # noqa: N802
        for value in node.values:
            self.visit(value)
        return "bool"

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Kind:  # noqa: N802
        kind = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return "bool"
        if isinstance(node.op, ast.USub | ast.UAdd):
            if kind not in _NUMERIC:
                raise self.fail(node, f"unary minus needs a number, not {_KIND_WORDS[kind]}")
            return "num"
        raise self.fail(node, "operator '~' is not allowed")

    def visit_BinOp(self, node: ast.BinOp) -> Kind:  # noqa: N802
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise self.fail(node, "operators are limited to + - * / % //", "operator")
        for side in (node.left, node.right):
            kind = self.visit(side)
            if kind not in _NUMERIC:
                raise self.fail(
                    side, f"'{symbol}' needs numbers, not {_KIND_WORDS[kind]}", "type_error"
                )
        return "num"

    def visit_IfExp(self, node: ast.IfExp) -> Kind:  # noqa: N802
        self.visit(node.test)
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        if body == orelse:
            return body
        if "none" in (body, orelse):
            return orelse if body == "none" else body
        if body in _NUMERIC and orelse in _NUMERIC:
            return "num"
        raise self.fail(
            node,
            f"both branches must be of one kind ({_KIND_WORDS[body]} vs {_KIND_WORDS[orelse]})",
            "type_error",
        )

    def visit_Compare(self, node: ast.Compare) -> Kind:  # noqa: N802
        if any(isinstance(op, _MEMBERSHIP) for op in node.ops):
            if len(node.ops) != 1:
                raise self.fail(node, "'in' cannot be chained with other comparisons")
            self._membership(node.left, node.comparators[0])
            return "bool"
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            self._comparable(op, left, right, comparator)
            left = right
        return "bool"

    def _comparable(self, op: ast.cmpop, left: Kind, right: Kind, node: ast.expr) -> None:
        if isinstance(op, ast.Is | ast.IsNot):
            raise self.fail(node, "'is' is not allowed; use == or !=")
        if isinstance(op, _ORDERING):
            if left not in _NUMERIC or right not in _NUMERIC:
                raise self.fail(
                    node,
                    "ordering comparisons (< <= > >=) need numbers, "
                    f"not {_KIND_WORDS[left]} and {_KIND_WORDS[right]}",
                    "type_error",
                )
            return
        if "none" in (left, right) or left == right:
            return
        if left in _NUMERIC and right in _NUMERIC:
            return
        raise self.fail(
            node, f"compares {_KIND_WORDS[left]} with {_KIND_WORDS[right]}", "type_error"
        )

    def _membership(self, left: ast.expr, container: ast.expr) -> None:
        kind = self.visit(left)
        if not isinstance(container, ast.Tuple | ast.List | ast.Set):
            raise self.fail(
                container, "'in' needs a literal tuple, list or set of constants on the right"
            )
        for element in container.elts:
            if not isinstance(element, ast.Constant):
                raise self.fail(element, "the values after 'in' must be constants")
            element_kind = self.visit(element)
            if element_kind != "none" and not (
                element_kind == kind or {element_kind, kind} <= _NUMERIC
            ):
                raise self.fail(
                    element,
                    f"{_KIND_WORDS[element_kind]} in a list compared with {_KIND_WORDS[kind]}",
                    "type_error",
                )
        self.kinds[id(container)] = kind

    def visit_Call(self, node: ast.Call) -> Kind:  # noqa: N802
        allowed = ", ".join(FUNCTIONS)
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            what = f"'{func.id}'" if isinstance(func, ast.Name) else "this"
            raise self.fail(
                node, f"calls are limited to {allowed}; {what} is not one", "unknown_call"
            )
        if node.keywords:
            raise self.fail(node, f"{func.id}() takes no keyword arguments")
        low, high = FUNCTIONS[func.id]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            raise self.fail(node, f"{func.id}() takes {_arity(low, high)} arguments, not {count}")
        kinds = [self.visit(arg) for arg in node.args]
        if func.id == "len":
            if kinds[0] != "str":
                raise self.fail(node, "len() needs text", "type_error")
            return "num"
        if func.id == "round" and count == 2:
            digits = node.args[1]
            if not (
                isinstance(digits, ast.Constant)
                and type(digits.value) is int
                and 0 <= digits.value <= 15
            ):
                raise self.fail(digits, "round()'s digits must be a whole number from 0 to 15")
        for arg, kind in zip(node.args, kinds, strict=True):
            if kind not in _NUMERIC:
                raise self.fail(
                    arg, f"{func.id}() needs numbers, not {_KIND_WORDS[kind]}", "type_error"
                )
        return "num"

    def visit_Tuple(self, node: ast.Tuple) -> Kind:  # noqa: N802
        raise self.fail(node, "a literal list is only allowed on the right of 'in' / 'not in'")

    visit_List = visit_Tuple  # noqa: N815
    visit_Set = visit_Tuple  # noqa: N815


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low}"
    return str(low) if low == high else f"{low} to {high}"


def _unknown(name: str, names: Mapping[str, Kind]) -> str:
    reason = f"unknown name '{name}'"
    if name in ("true", "false", "null", "none"):
        return reason + f" (write {name.capitalize() if name != 'null' else 'None'})"
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return reason + (f" (did you mean '{close[0]}'?)" if close else "")


__all__ = ["FUNCTIONS", "Checked", "ExpressionError", "check", "offset_of", "parse"]
