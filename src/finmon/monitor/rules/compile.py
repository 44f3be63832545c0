"""Turning a *checked* expression into something that runs: a Python function or a Polars one.

Only trees that passed :func:`finmon.monitor.rules.check.check` reach this
module, and the tree compiled is a rewrite of the checked one, never the
source text: every name becomes a lookup in the values mapping (``v['x']``),
every allowed function a private global, and the code runs with empty
``__builtins__``. Compilation happens once per rule set, so a transaction
costs one Python call per rule (well under a microsecond each).

The Polars translation serves backtests: one vectorised pass per rule over a
whole frame. It follows the Python semantics where they are defined (``==``
and ``in`` treat a missing value as ``None``; a division by zero makes the
result missing, i.e. the rule does not hit); comparisons with a missing
number are missing and the rule does not hit, which is what the Python path
does too (it raises and counts the error). In exotic mixes (``x > 1 or
y > 1`` with ``x`` missing) Polars uses SQL's three-valued logic where
Python gives up on the whole rule; features are never missing, so this
concerns only null transaction fields.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from finmon.monitor.rules.check import Checked

Predicate = Callable[[Mapping[str, Any]], Any]

_VALUES = "v"
_GLOBALS: dict[str, Any] = {
    "__builtins__": {},
    "_fn_abs": abs,
    "_fn_min": min,
    "_fn_max": max,
    "_fn_round": round,
    "_fn_len": len,
    "_fn_bool": bool,
}


def to_function(checked: Checked, label: str) -> Predicate:
    """A function of the values mapping that returns the expression's value."""
    body = _Rewrite().rewrite(checked.tree, boolean=True)
    tree = ast.Expression(
        body=ast.Lambda(
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(arg=_VALUES)],
                kwonlyargs=[],
                kw_defaults=[],
                defaults=[],
            ),
            body=body,
        )
    )
    ast.fix_missing_locations(tree)
    code = compile(tree, f"<rule {label}>", "eval")
    # The tree is the checked allow-list rewritten above, not user text, and it
    # runs without builtins: this eval only materialises the lambda.
    function: Predicate = eval(code, dict(_GLOBALS))  # noqa: S307
    return function


class _Rewrite:
    """Names -> ``v['name']``, calls -> private globals, value-producing and/or -> bool()."""

    def rewrite(self, node: ast.expr, *, boolean: bool = False) -> ast.expr:  # noqa: C901
        if isinstance(node, ast.Name):
            return ast.Subscript(
                value=ast.Name(id=_VALUES, ctx=ast.Load()),
                slice=ast.Constant(value=node.id),
                ctx=ast.Load(),
            )
        if isinstance(node, ast.Constant):
            return ast.Constant(value=node.value)
        if isinstance(node, ast.BoolOp):
            values = [self.rewrite(v, boolean=True) for v in node.values]
            out: ast.expr = ast.BoolOp(op=node.op, values=values)
            if not boolean:  # "a or b" yields a or b; the checker typed it as a condition
                out = ast.Call(
                    func=ast.Name(id="_fn_bool", ctx=ast.Load()), args=[out], keywords=[]
                )
            return out
        if isinstance(node, ast.UnaryOp):
            inner = isinstance(node.op, ast.Not)
            return ast.UnaryOp(op=node.op, operand=self.rewrite(node.operand, boolean=inner))
        if isinstance(node, ast.BinOp):
            return ast.BinOp(
                left=self.rewrite(node.left), op=node.op, right=self.rewrite(node.right)
            )
        if isinstance(node, ast.IfExp):
            return ast.IfExp(
                test=self.rewrite(node.test, boolean=True),
                body=self.rewrite(node.body, boolean=boolean),
                orelse=self.rewrite(node.orelse, boolean=boolean),
            )
        if isinstance(node, ast.Compare):
            return ast.Compare(
                left=self.rewrite(node.left),
                ops=list(node.ops),
                comparators=[self.rewrite(c) for c in node.comparators],
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return ast.Call(
                func=ast.Name(id="_fn_" + node.func.id, ctx=ast.Load()),
                args=[self.rewrite(a) for a in node.args],
                keywords=[],
            )
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            # membership containers: a frozenset constant is both safe and fast
            members = frozenset(e.value for e in node.elts if isinstance(e, ast.Constant))
            return ast.Constant(value=members)  # type: ignore[arg-type]  # compile() takes it
        raise TypeError(f"unchecked node {type(node).__name__}")  # the checker refused it


# -- Polars --------------------------------------------------------------------


def to_polars(checked: Checked) -> pl.Expr:
    """A boolean Polars expression over columns named like the rule's names (null -> False)."""
    return _Polars(checked).truth(checked.tree).fill_null(False)


_BINARY: dict[type[ast.operator], Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
_ORDER: dict[type[ast.cmpop], Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: pl.Expr.eq_missing,
    ast.NotEq: pl.Expr.ne_missing,
}


class _Polars:
    def __init__(self, checked: Checked) -> None:
        self.checked = checked

    def truth(self, node: ast.expr) -> pl.Expr:
        """Python truthiness as a boolean expression."""
        kind = self.checked.kind(node)
        value = self.value(node)
        if kind == "bool":
            return value
        if kind == "num":
            return value.ne(0).fill_null(False)
        if kind == "str":
            return (value.str.len_chars() > 0).fill_null(False)
        return pl.lit(False)

    def number(self, node: ast.expr) -> pl.Expr:
        return self.value(node).cast(pl.Float64)

    def value(self, node: ast.expr) -> pl.Expr:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Name):
            kind = self.checked.name_kinds[node.id]
            return pl.col(node.id).cast(pl.String if kind == "str" else pl.Float64)
        if isinstance(node, ast.Constant):
            return _literal(node.value)
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(v) for v in node.values]
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            return functools.reduce(combine, parts)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~self.truth(node.operand)
            number = self.number(node.operand)
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.IfExp):
            return (
                pl.when(self.truth(node.test).fill_null(False))
                .then(self.value(node.body))
                .otherwise(self.value(node.orelse))
            )
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node.func.id, node.args)
        raise TypeError(f"unchecked node {type(node).__name__}")

    def binary(self, node: ast.BinOp) -> pl.Expr:
        left, right = self.number(node.left), self.number(node.right)
        simple = _BINARY.get(type(node.op))
        if simple is not None:
            return simple(left, right)
        safe = pl.when(right == 0).then(None).otherwise(right)  # x / 0 -> missing, no hit
        quotient = left / safe
        if isinstance(node.op, ast.Div):
            return quotient
        if isinstance(node.op, ast.FloorDiv):
            return quotient.floor()
        return left - safe * quotient.floor()  # Python's %: the sign follows the divisor

    def compare(self, node: ast.Compare) -> pl.Expr:
        op = node.ops[0]
        if isinstance(op, ast.In | ast.NotIn):
            member = self.membership(node.left, node.comparators[0])
            return ~member if isinstance(op, ast.NotIn) else member
        parts: list[pl.Expr] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            left, right = self.operand(left_node), self.operand(right_node)
            parts.append(_ORDER[type(op)](left, right))
            left_node = right_node
        return functools.reduce(operator.and_, parts)

    def operand(self, node: ast.expr) -> pl.Expr:
        return self.number(node) if self.checked.kind(node) == "bool" else self.value(node)

    def membership(self, left_node: ast.expr, container: ast.expr) -> pl.Expr:
        assert isinstance(container, ast.Tuple | ast.List | ast.Set)  # noqa: S101 - checked
        values = [e.value for e in container.elts if isinstance(e, ast.Constant)]
        wanted = [v for v in values if v is not None]
        kind = self.checked.kind(left_node)
        left = self.value(left_node) if kind == "str" else self.number(left_node)
        if kind != "str":
            wanted = [float(v) for v in wanted if isinstance(v, int | float)]
        if not wanted:
            member = pl.lit(False)
        else:
            dtype = pl.String if kind == "str" else pl.Float64
            member = left.is_in(pl.Series(values=wanted, dtype=dtype).implode()).fill_null(False)
        if len(wanted) != len(values):  # None in the list: a missing value is a member
            member = member | left.is_null()
        return member

    def call(self, name: str, args: list[ast.expr]) -> pl.Expr:
        if name == "len":
            return self.value(args[0]).str.len_chars().cast(pl.Float64)
        numbers = [self.number(a) for a in args]
        if name == "abs":
            return numbers[0].abs()
        if name == "min":
            return pl.min_horizontal(numbers)
        if name == "max":
            return pl.max_horizontal(numbers)
        digits = args[1].value if len(args) == 2 and isinstance(args[1], ast.Constant) else 0
        return numbers[0].round(digits if isinstance(digits, int) else 0, mode="half_to_even")


def _literal(value: Any) -> pl.Expr:
    if value is None:
        return pl.lit(None)
    if isinstance(value, str):
        return pl.lit(value, dtype=pl.String)
    if isinstance(value, bool):
        return pl.lit(value, dtype=pl.Boolean)
    return pl.lit(float(value), dtype=pl.Float64)


__all__ = ["Predicate", "to_function", "to_polars"]
