"""Constraint expressions: ``array.rows * array.cols <= 4096``, ``area_mm2 <= 2``.

Parsed with Python's ``ast`` and evaluated by walking a whitelist of nodes (numbers, strings,
dotted names, ``+ - * / // % **``, unary ``-``, ``min`` / ``max`` / ``abs`` and exactly one
comparison); nothing is compiled or ``eval``-ed, so a space file cannot run code.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from accelsim.errors import ConfigError
from accelsim.suggest import did_you_mean

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type, str] = {ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">",
                             ast.Eq: "==", ast.NotEq: "!="}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs}
#: largest exponent ``**`` accepts (keeps ``2 ** 10 ** 10`` from hanging the run)
MAX_EXPONENT = 64
#: what an Optuna constraint value is for a strict comparison met with equality (> 0: violated)
_STRICT_EPSILON = 1e-12


def _dotted(node: ast.expr) -> str | None:
    """``array.rows`` (an Attribute chain on a Name) -> "array.rows"; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


@dataclass(frozen=True)
class Constraint:
    """One comparison ``lhs OP rhs`` over named values (parameters, arch fields, metrics)."""

    text: str
    op: str
    lhs: ast.expr
    rhs: ast.expr
    names: tuple[str, ...]

    def sides(self, values: Mapping[str, Any]) -> tuple[Any, Any]:
        return _evaluate(self.lhs, values, self.text), _evaluate(self.rhs, values, self.text)

    def satisfied(self, values: Mapping[str, Any]) -> bool:
        left, right = self.sides(values)
        return _compare(self.op, left, right, self.text)

    def value(self, values: Mapping[str, Any]) -> float:
        """The constraint value written to the CSV: ``lhs - rhs`` for ``<=`` / ``<``, ``rhs -
        lhs`` for ``>=`` / ``>`` (<= 0 when met, else by how much it is missed, in the units of
        the expression); for ``==`` / ``!=`` 0.0 when met, else ``|lhs - rhs|`` (or 1.0)."""
        left, right = self.sides(values)
        met = _compare(self.op, left, right, self.text)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v in (left, right))
        if self.op in ("==", "!="):
            return 0.0 if met else (float(abs(left - right)) if numeric and self.op == "==" and
                                    left != right else 1.0)
        gap = float(left - right) if self.op in ("<=", "<") else float(right - left)
        return max(gap, _STRICT_EPSILON) if not met else gap

    def violation(self, values: Mapping[str, Any]) -> float:
        """Optuna's constraint value (<= 0 feasible), relative to the bound so that constraints
        in different units add up fairly in constrained domination (Deb et al., NSGA-II)."""
        gap = self.value(values)
        if self.op in ("==", "!="):
            return gap
        left, right = self.sides(values)
        return gap / (max(abs(float(left)), abs(float(right))) or 1.0)


def _compare(op: str, left: Any, right: Any, text: str) -> bool:
    try:
        return {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
                "==": operator.eq, "!=": operator.ne}[op](left, right)
    except TypeError:
        raise ConfigError(f"cannot compare {left!r} with {right!r}", key=text) from None


def _evaluate(node: ast.expr, values: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    name = _dotted(node)
    if name is not None:
        if name not in values:
            raise ConfigError(f"{name} has no value for this design", key=text)
        return values[name]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, text)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, values, text)
        right = _evaluate(node.right, values, text)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) \
                and abs(right) > MAX_EXPONENT:
            raise ConfigError(f"exponent {right!r} too large", key=text,
                              expected=f"|exponent| <= {MAX_EXPONENT}")
        try:
            result = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ConfigError("division by zero", key=text,
                              value=", ".join(f"{k}={v}" for k, v in values.items())) from None
        except TypeError:
            raise ConfigError(f"cannot compute with {left!r} and {right!r}", key=text) from None
        if isinstance(result, float) and not math.isfinite(result):
            raise ConfigError("result is not a finite number", key=text)
        return result
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # parse() checked
    return _FUNCTIONS[node.func.id](*(_evaluate(a, values, text) for a in node.args))


def _check(node: ast.expr, text: str, known: Iterable[str], names: list[str],
           key: str, file: str | None) -> None:
    """Refuse every node outside the whitelist; collect the names used."""
    def refuse(what: str) -> ConfigError:
        return ConfigError(f"{what} in constraint {text!r}", file=file, key=key,
                           expected="numbers, names, + - * / // % **, min/max/abs and one "
                                    "comparison, e.g. 'array.rows * array.cols <= 4096'")

    name = _dotted(node)
    if name is not None:
        if name not in known:
            raise ConfigError(f"unknown name {name!r} in constraint {text!r}: "
                              + did_you_mean(name, known), file=file, key=key)
        names.append(name)
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, str)):
            raise refuse(f"constant {node.value!r}")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text, known, names, key, file)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, known, names, key, file)
        _check(node.right, text, known, names, key, file)
        return
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS and not node.keywords and node.args):
        for arg in node.args:
            _check(arg, text, known, names, key, file)
        return
    raise refuse(type(node).__name__.lower())


def parse_constraint(text: Any, known: Iterable[str], *, key: str,
                     file: str | None = None) -> Constraint:
    """``"array.rows * array.cols <= 4096"`` -> Constraint; ``known`` the names it may use,
    ``key`` / ``file`` where the text came from (for the error)."""
    known = list(known)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("expected a comparison as text", file=file, key=key, value=text,
                          expected="e.g. 'area_mm2 <= 2'")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConfigError(f"not an expression: {exc.msg}", file=file, key=key,
                          value=text) from None
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 \
            or type(tree.ops[0]) not in _COMPARE:
        raise ConfigError("expected exactly one comparison (<=, <, >=, >, ==, !=)", file=file,
                          key=key, value=text, expected="e.g. 'array.rows * array.cols <= 4096'")
    names: list[str] = []
    _check(tree.left, text, known, names, key, file)
    _check(tree.comparators[0], text, known, names, key, file)
    if not names:
        raise ConfigError("the constraint names no parameter or metric", file=file, key=key,
                          value=text)
    return Constraint(text.strip(), _COMPARE[type(tree.ops[0])], tree.left, tree.comparators[0],
                      tuple(dict.fromkeys(names)))
